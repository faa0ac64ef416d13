// JSON shapes of the API (docs/api.md). The UI renders the same objects.
import { deployBranchOf } from '../../core/deploy-branch.ts';
import type { Scalarium } from '../../core/scalarium.ts';
import type { AppRow } from '../../db/apps.ts';
import type { Release } from '../../db/releases.ts';
import type { ProcessRow } from '../../db/processes.ts';
import { latestRelease } from '../../db/releases.ts';
import { findClusterById, listInstances } from '../../db/instances.ts';
import { defaultFormation } from '../../core/pipeline.ts';

/** Where the app is served: its name under the domain, on the port of its cluster's router. */
export async function appUrl(scalarium: Scalarium, app: AppRow): Promise<string> {
  const port = await routerPort(scalarium, app.cluster_id);
  return `http://${app.name}.${scalarium.config.domain}${port === 80 ? '' : `:${port}`}/`;
}

/**
 * The actual port of a cluster's router (it may have been ephemeral; each local cluster's router
 * has its own), else the one it last reported, else the configured one.
 */
export async function routerPort(scalarium: Scalarium, clusterId?: number): Promise<number> {
  const routers = clusterId === undefined ? undefined : (await listInstances(scalarium.db, clusterId)).filter((i) => i.role === 'router');
  const router = scalarium.hub.connectedPeers('router').find((p) => !routers || routers.some((i) => i.id === p.instanceId));
  return router?.port ?? routers?.find((i) => i.state !== 'stopped' && i.port)?.port ?? scalarium.config.routerPort;
}

export function gitUrl(scalarium: Scalarium, app: string): string {
  return `${scalarium.baseUrl}/${app}.git`;
}

export function releaseJson(release: Release, currentVersion?: number) {
  return {
    version: release.version, description: release.description, commit: release.commit, slug: release.slug,
    processTypes: release.processTypes, createdBy: release.createdBy, createdAt: release.createdAt, timings: release.timings,
    current: release.version === currentVersion,
  };
}

export async function appJson(scalarium: Scalarium, app: AppRow) {
  const release = await latestRelease(scalarium.db, app.id);
  const cluster = await findClusterById(scalarium.db, app.cluster_id);
  return {
    name: app.name, cluster: cluster?.name ?? null, url: await appUrl(scalarium, app), gitUrl: gitUrl(scalarium, app.name),
    formation: release ? defaultFormation(app.formation, release.processTypes) : app.formation,
    release: release ? { version: release.version, commit: release.commit, createdAt: release.createdAt } : null,
    deployBranch: deployBranchOf(app),
    createdAt: app.created_at, createdBy: app.created_by,
  };
}

/** Processes with Heroku-style names (web.1, web.2…) in start order. */
export function processesJson(processes: ProcessRow[]) {
  const counters = new Map<string, number>();
  return processes.map((p) => {
    const n = (counters.get(p.type) ?? 0) + 1;
    counters.set(p.type, n);
    return {
      id: p.id, type: p.type, name: `${p.type}.${n}`, state: p.state, release: p.release, instance: p.instanceId,
      port: p.port, restarts: p.restarts, startedAt: p.startedAt, routed: p.routed,
    };
  });
}
