// Keeps every router's table equal to the routed, ready web processes of its cluster, on each
// configure event, whenever a router (re)connects and whenever a routed web process's state changes
// (a crash, a failed liveness check, ready again). A deploy only continues once the routers have
// acknowledged the switch.
import {
  routedWebBackends, listApps, listProcesses, findApp, findClusterById, countLiveInstances, listInstances,
  type Plugin, type Scalarium, type Backend, type RouteTable, type Cluster, type ProcessChanged,
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

/**
 * One publication at a time per cluster: a table is read from the database when it is built, and
 * two built at once could reach a router newest-content-last with the older version. A request
 * that finds one waiting (not yet built) shares it: it will read the newest state anyway.
 */
class Publisher {
  private readonly tails = new Map<number, Promise<void>>();
  private readonly waiting = new Map<number, Promise<void>>();

  constructor(private readonly scalarium: Scalarium) {}

  /** To every router of the cluster, or to `only`. */
  publish(cluster: Cluster, only?: string): Promise<void> {
    const shared = only ? undefined : this.waiting.get(cluster.id);
    if (shared) return shared;
    const run: Promise<void> = (this.tails.get(cluster.id) ?? Promise.resolve()).then(() => {
      if (this.waiting.get(cluster.id) === run) this.waiting.delete(cluster.id);
      return publish(this.scalarium, cluster, only);
    });
    if (!only) this.waiting.set(cluster.id, run);
    const tail = run.catch(() => {});
    this.tails.set(cluster.id, tail);
    void tail.then(() => {
      if (this.tails.get(cluster.id) === tail) this.tails.delete(cluster.id);
    });
    return run;
  }

  async settled(): Promise<void> {
    while (this.tails.size) await Promise.all([...this.tails.values()]);
  }
}

/** A routed web process that changed state may have joined or left its cluster's table. */
async function processChanged(scalarium: Scalarium, publisher: Publisher, change: ProcessChanged): Promise<void> {
  if (change.type !== 'web' || change.state === 'stopped') return; // whoever stops a process unroutes it first
  const row = (await listProcesses(scalarium.db, { instanceId: change.instanceId })).find((p) => p.id === change.processId);
  if (!row?.routed) return; // not taking traffic yet: the rollout switches it in
  const app = await findApp(scalarium.db, change.app);
  const cluster = app && (await findClusterById(scalarium.db, app.cluster_id));
  if (cluster) await publisher.publish(cluster);
}

export const routingPlugin: Plugin = {
  name: NAME,
  apply(scalarium) {
    const publisher = new Publisher(scalarium);
    scalarium.hooks.configure.tapPromise(NAME, ({ cluster }) => publisher.publish(cluster));
    // A router that (re)connects gets the table at once.
    scalarium.hooks.instanceConnected.tapPromise(NAME, async ({ instance, cluster, kind }) => {
      if (kind !== 'router') return;
      await publisher.publish(cluster, instance.id).catch((error: Error) => scalarium.say(`routing for ${instance.id}: ${error.message}`));
    });
    scalarium.hooks.processChanged.tap(NAME, (change) => {
      void processChanged(scalarium, publisher, change)
        .catch((error: Error) => scalarium.say(`routing after ${change.type} ${change.processId} became ${change.state}: ${error.message}`));
    });
    scalarium.onClose(() => publisher.settled());
  },
};

export default routingPlugin;
