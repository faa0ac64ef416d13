// Keeps every router's table equal to the routed web processes of its cluster, on each configure
// event and whenever a router (re)connects. A deploy only continues once the routers have
// acknowledged the switch.
import {
  routedWebBackends, listApps, countLiveInstances, listInstances, type Plugin, type Scalarium, type Backend,
  type RouteTable, type Cluster,
} from '../../server/plugin-api.ts';

const NAME = 'routing';
const ACK_TIMEOUT_MS = 10_000;

let lastVersion = 0;
/** Versions only grow, across server restarts too (the clock) and within one millisecond. */
function nextVersion(): number {
  lastVersion = Math.max(Date.now(), lastVersion + 1);
  return lastVersion;
}

export async function buildRouteTable(scalarium: Scalarium, cluster: Cluster): Promise<RouteTable> {
  const rows = await routedWebBackends(scalarium.db, cluster.id);
  const routes: Record<string, Backend[]> = {};
  for (const app of await listApps(scalarium.db)) {
    if (app.cluster_id === cluster.id) routes[`${app.name}.${scalarium.config.domain}`] = [];
  }
  for (const row of rows) routes[`${row.app}.${scalarium.config.domain}`]?.push({ host: row.address ?? '127.0.0.1', port: row.port });
  return { version: nextVersion(), routes };
}

/** The connected routers of a cluster. */
async function routersOf(scalarium: Scalarium, cluster: Cluster): Promise<string[]> {
  const ids = new Set((await listInstances(scalarium.db, cluster.id)).filter((i) => i.role === 'router').map((i) => i.id));
  return scalarium.hub.connectedPeers('router').map((p) => p.instanceId).filter((id) => ids.has(id));
}

async function publish(scalarium: Scalarium, cluster: Cluster, only?: string): Promise<void> {
  const routers = only ? [only] : await routersOf(scalarium, cluster);
  if (!only && routers.length === 0 && (await countLiveInstances(scalarium.db, 'router', cluster.id)) > 0) {
    throw new Error(`no router of cluster ${cluster.name} is connected`);
  }
  const table = await buildRouteTable(scalarium, cluster);
  await Promise.all(routers.map((id) => scalarium.hub.request(id, { op: 'table', table }, ACK_TIMEOUT_MS)));
}

export const routingPlugin: Plugin = {
  name: NAME,
  apply(scalarium) {
    scalarium.hooks.configure.tapPromise(NAME, ({ cluster }) => publish(scalarium, cluster));
    // A router that (re)connects gets the table at once.
    scalarium.hooks.instanceConnected.tapPromise(NAME, async ({ instance, cluster, kind }) => {
      if (kind !== 'router') return;
      await publish(scalarium, cluster, instance.id).catch((error: Error) => scalarium.say(`routing for ${instance.id}: ${error.message}`));
    });
  },
};

export default routingPlugin;
