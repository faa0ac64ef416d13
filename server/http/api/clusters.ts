import type Koa from 'koa';
import type Router from '@koa/router';
import type { Scalarium } from '../../core/scalarium.ts';
import type { Resource } from '../../core/types.ts';
import { declare, serverResource } from './route-table.ts';
import { readJson } from '../json-body.ts';
import { listClusters, listInstances, type Cluster } from '../../db/instances.ts';
import { getClusterSettings, listEventRuns, listRoles } from '../../db/clusters.ts';
import { listApps } from '../../db/apps.ts';
import { createClusterFor, destroyCluster, requireCluster, scaleCluster } from '../../core/cluster-service.ts';

const clusterResource = (ctx: Koa.Context): Resource => ({ kind: 'cluster', name: String((ctx as unknown as { params: Record<string, string> }).params.cluster) });

export async function clusterJson(scalarium: Scalarium, cluster: Cluster) {
  const { credentials, ...settings } = await getClusterSettings(scalarium.db, cluster);
  return {
    name: cluster.name, provider: cluster.provider, settings: { ...settings, credentials: credentials ? 'stored (encrypted)' : null },
    roles: await listRoles(scalarium.db, cluster.id),
    instances: (await listInstances(scalarium.db, cluster.id)).map((i) => ({
      id: i.id, role: i.role, state: i.state, address: i.address, providerRef: i.providerRef, failure: i.failure,
      connected: Boolean(scalarium.hub.peer(i.id)), lastSeenAt: i.lastSeenAt,
    })),
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
      const cluster = await createClusterFor(scalarium, principal, (await readJson(ctx)) as Record<string, unknown>);
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
