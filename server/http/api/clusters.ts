import type Router from '@koa/router';
import type { Scalarium } from '../../core/scalarium.ts';
import { clusterResource, declare, serverResource } from './route-table.ts';
import { readJson } from '../json-body.ts';
import { listClusters, listInstances, type Cluster, type Instance } from '../../db/instances.ts';
import { getClusterSettings, listEventRuns, listRoles } from '../../db/clusters.ts';
import { listApps } from '../../db/apps.ts';
import { createClusterFor, destroyCluster, requireCluster, scaleCluster } from '../../core/cluster-service.ts';


/** States in which an instance's agent should be connected: not being so there means it died. */
const CONNECTED_STATES = new Set(['setup', 'online', 'draining']);

/**
 * The instance's last output lines (from its provider, already safe to print) when they may say
 * what went wrong: it failed, or it should be connected and is not. Null otherwise, or when the
 * provider cannot read them.
 */
async function lastOutput(scalarium: Scalarium, cluster: Cluster, instance: Instance, connected: boolean): Promise<string[] | null> {
  if (instance.state !== 'failed' && !(CONNECTED_STATES.has(instance.state) && !connected)) return null;
  const provider = scalarium.providers.get(cluster.provider);
  if (!provider?.consoleOutput) return null;
  return provider.consoleOutput(instance).catch(() => null);
}

export async function clusterJson(scalarium: Scalarium, cluster: Cluster) {
  const { credentials, ...settings } = await getClusterSettings(scalarium.db, cluster);
  const instances = await Promise.all((await listInstances(scalarium.db, cluster.id)).map(async (i) => {
    const connected = Boolean(scalarium.hub.peer(i.id));
    return {
      id: i.id, role: i.role, state: i.state, address: i.address, providerRef: i.providerRef, failure: i.failure,
      connected, lastSeenAt: i.lastSeenAt, lastOutput: await lastOutput(scalarium, cluster, i, connected),
    };
  }));
  return {
    name: cluster.name, provider: cluster.provider, settings: { ...settings, credentials: credentials ? 'stored (encrypted)' : null },
    roles: await listRoles(scalarium.db, cluster.id),
    instances,
    apps: (await listApps(scalarium.db)).filter((a) => a.cluster_id === cluster.id).map((a) => a.name),
  };
}

export function clusterRoutes(scalarium: Scalarium, router: Router): void {
  declare(scalarium, router, {
    method: 'get', path: '/api/clusters', action: 'read', resource: serverResource,
    async handler(ctx, principal) {
      const visible = [];
      for (const cluster of await listClusters(scalarium.db)) {
        if (await scalarium.hooks.authorize.promise(principal, 'read', { kind: 'cluster', name: cluster.name })) visible.push(await clusterJson(scalarium, cluster));
      }
      ctx.body = visible;
    },
  });
  declare(scalarium, router, {
    method: 'post', path: '/api/clusters', action: 'admin', resource: serverResource,
    async handler(ctx, principal) {
      // The cluster service parses the body (newClusterBody), as it does the clusters page's form.
      const cluster = await createClusterFor(scalarium, principal, await readJson(ctx));
      ctx.status = 201;
      ctx.body = await clusterJson(scalarium, cluster);
    },
  });
  declare(scalarium, router, {
    method: 'get', path: '/api/clusters/:cluster', action: 'read', resource: clusterResource,
    async handler(ctx) {
      ctx.body = await clusterJson(scalarium, await requireCluster(scalarium, ctx.params.cluster));
    },
  });
  declare(scalarium, router, {
    method: 'patch', path: '/api/clusters/:cluster/roles', action: 'scale', resource: clusterResource,
    async handler(ctx, principal) {
      // Parsed by the service (roleCountsBody), as the scale form is.
      ctx.body = { roles: await scaleCluster(scalarium, principal, ctx.params.cluster, await readJson(ctx)) };
    },
  });
  declare(scalarium, router, {
    method: 'delete', path: '/api/clusters/:cluster', action: 'admin', resource: clusterResource,
    async handler(ctx, principal) {
      await destroyCluster(scalarium, principal, ctx.params.cluster);
      ctx.status = 204;
    },
  });
  declare(scalarium, router, {
    method: 'get', path: '/api/clusters/:cluster/events', action: 'read', resource: clusterResource,
    async handler(ctx) {
      const cluster = await requireCluster(scalarium, ctx.params.cluster);
      ctx.body = await listEventRuns(scalarium.db, cluster.id, Math.min(Number(ctx.query.limit ?? 100) || 100, 1000));
    },
  });
}
