// Keeps every router's table equal to the routed web processes, on each configure event and
// whenever a router (re)connects. A deploy only continues once the routers have acknowledged.
import type { Plugin, Scalarium } from '../../server/core/scalarium.ts';
import type { Backend, RouteTable } from '../../server/agent/protocol.ts';
import { routedWebBackends } from '../../server/db/processes.ts';
import { listApps } from '../../server/db/apps.ts';
import { countLiveInstances } from '../../server/db/instances.ts';

const NAME = 'routing';
const ACK_TIMEOUT_MS = 10_000;

let lastVersion = 0;
/** Versions only grow, across server restarts too (the clock) and within one millisecond. */
function nextVersion(): number {
  lastVersion = Math.max(Date.now(), lastVersion + 1);
  return lastVersion;
}

export async function buildRouteTable(scalarium: Scalarium): Promise<RouteTable> {
  const rows = await routedWebBackends(scalarium.db);
  const routes: Record<string, Backend[]> = {};
  for (const app of await listApps(scalarium.db)) routes[`${app.name}.${scalarium.config.domain}`] = [];
  for (const row of rows) {
    routes[`${row.app}.${scalarium.config.domain}`]!.push({ host: row.address ?? '127.0.0.1', port: row.port });
  }
  return { version: nextVersion(), routes };
}

async function publish(scalarium: Scalarium, routerIds?: string[]): Promise<void> {
  const routers = scalarium.hub.connectedPeers('router').filter((r) => !routerIds || routerIds.includes(r.instanceId));
  if (!routerIds && routers.length === 0 && (await countLiveInstances(scalarium.db, 'router')) > 0) {
    throw new Error('no router is connected');
  }
  const table = await buildRouteTable(scalarium);
  await Promise.all(routers.map((r) => scalarium.hub.request(r.instanceId, { op: 'table', table }, ACK_TIMEOUT_MS)));
}

export const routingPlugin: Plugin = {
  name: NAME,
  apply(scalarium) {
    scalarium.hooks.configure.tapPromise(NAME, () => publish(scalarium));
    scalarium.hub.on('connected', (peer) => {
      if (peer.kind === 'router') publish(scalarium, [peer.instanceId]).catch(() => {});
    });
  },
};

export default routingPlugin;
