// What a router's host names stand for: `<app>.<domain>` for an app of the router's own cluster.
// A router speaks (metrics, access lines) only for those; any other host it names is not believed.
import type { Db } from '../db/knex.ts';
import { listApps } from '../db/apps.ts';

/** The names of the apps of a cluster: the hosts its routers may speak for. */
export async function appNamesOfCluster(db: Db, clusterId: number): Promise<Set<string>> {
  return new Set((await listApps(db)).filter((a) => a.cluster_id === clusterId).map((a) => a.name));
}

/** The app `host` stands for, if it is one of `apps`. */
export function appOfHost(host: string, domain: string, apps: ReadonlySet<string>): string | undefined {
  const suffix = `.${domain}`;
  const app = host.endsWith(suffix) ? host.slice(0, -suffix.length) : undefined;
  return app !== undefined && apps.has(app) ? app : undefined;
}
