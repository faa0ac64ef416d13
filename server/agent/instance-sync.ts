// Keeps the database in step with what connected agents report: instance online/offline, process
// states, and processes nobody asked for (leftovers of an interrupted deploy) are stopped.
import net from 'node:net';
import type { Scalarium } from '../core/scalarium.ts';
import { findClusterById, findInstance, updateInstance } from '../db/instances.ts';
import { appsOnInstance, deleteProcesses, findProcessOnInstance, listProcesses, updateProcessOnInstance } from '../db/processes.ts';
import type { Peer } from './hub.ts';
import type { HelloMessage, ProcessReport } from './protocol.ts';
import { AccessLines } from './access-lines.ts';
import { logTextLines } from './log-text.ts';

/** `firstTime`: the instance had never been online — it needs the setup event. */
export function syncInstances(scalarium: Scalarium, onAgentReconciled: (peer: Peer, firstTime: boolean) => void): { settled(): Promise<void> } {
  const { hub, db } = scalarium;
  // What the handlers still write when the server stops: it waits for them before closing the database.
  const pending = new Set<Promise<void>>();
  const track = (work: Promise<void>) => {
    pending.add(work);
    void work.finally(() => pending.delete(work));
  };

  hub.on('connected', (peer, hello) => {
    track((async () => {
      const before = await findInstance(db, peer.instanceId);
      const firstTime = !before?.lastSeenAt;
      await updateInstance(db, peer.instanceId, {
        state: firstTime && peer.kind === 'agent' ? 'setup' : 'online', pid: peer.pid, lastSeenAt: new Date().toISOString(), ...(peer.port ? { port: peer.port } : {}),
        ...(validAddress(hello.address) ? { address: hello.address } : {}),
      });
      if (peer.kind === 'agent') await adoptProcesses(scalarium, peer, hello);
      const instance = await findInstance(db, peer.instanceId);
      const cluster = instance && (await findClusterById(db, instance.clusterId));
      if (instance && cluster) {
        await scalarium.hooks.instanceConnected.promise({ instance, cluster, kind: peer.kind, firstTime })
          .catch((error: Error) => logLine(scalarium, `instanceConnected for ${peer.instanceId}: ${error.message}`));
      }
      if (peer.kind === 'agent') onAgentReconciled(peer, firstTime);
    })().catch((error: Error) => logLine(scalarium, `sync of ${peer.instanceId} failed: ${error.message}`)));
  });

  hub.on('disconnected', (peer) => {
    track((async () => {
      await updateInstance(db, peer.instanceId, { lastSeenAt: new Date().toISOString() });
      const instance = await findInstance(db, peer.instanceId);
      const cluster = instance && (await findClusterById(db, instance.clusterId));
      if (instance && cluster) await scalarium.hooks.instanceDisconnected.promise({ instance, cluster, kind: peer.kind });
    })().catch((error: Error) => logLine(scalarium, `instanceDisconnected for ${peer.instanceId}: ${error.message}`)));
  });

  // Every id an instance speaks of must be its own: one instance's token must not let its holder
  // reroute another instance's processes or write into another app's logs.
  // One process's reports in the order they came: a resent one must not read a state its
  // predecessor is still writing (and tell a crash twice).
  const inOrder = new Map<string, Promise<void>>();
  hub.on('process', (peer, report) => {
    const key = `${peer.instanceId}\u0000${typeof report?.id === 'string' ? report.id : ''}`;
    const next = (inOrder.get(key) ?? Promise.resolve()).then(() => applyReport(scalarium, peer, report)).catch(() => {});
    inOrder.set(key, next);
    track(next.finally(() => {
      if (inOrder.get(key) === next) inOrder.delete(key);
    }));
  });

  const apps = new InstanceApps(scalarium);
  const access = new AccessLines(scalarium);
  hub.on('log', (peer, message) => {
    if ('access' in message) {
      // A router's batch of access entries: only routers send them, for the apps of their cluster.
      if (peer.kind !== 'router') return;
      void access.linesOf(peer.instanceId, message.access).then((lines) => {
        for (const line of lines) scalarium.hooks.log.call(line);
      }).catch((error: Error) => logLine(scalarium, `access lines of ${peer.instanceId}: ${error.message}`));
      return;
    }
    if (typeof message.app !== 'string' || typeof message.line !== 'string' || typeof message.source !== 'string') return;
    void apps.hosts(peer.instanceId, message.app).then((ok) => {
      if (!ok) return;
      // A line from the future (an instance's clock far ahead, or a made-up year 30000 that could not be
      // read back) is stamped now. Past times stay: an agent replays what it kept while disconnected.
      const said = typeof message.at === 'string' ? Date.parse(message.at) : NaN;
      const at = Number.isFinite(said) && said <= Date.now() + CLOCK_SKEW_MS ? new Date(said).toISOString() : new Date().toISOString();
      // Escaped and split here too: an agent (or an older one) is not trusted to have done it. It speaks
      // for its processes only (web, web.1): never as the router or the platform.
      const source = PROCESS_NAME.test(message.source) && !RESERVED_SOURCES.has(message.source) ? message.source : 'app';
      for (const line of logTextLines(message.line.slice(0, 4 * 1024 * 1024))) scalarium.hooks.log.call({ app: message.app, source, line, at });
    });
  });

  return {
    async settled() {
      while (pending.size) await Promise.allSettled([...pending]);
    },
  };
}

const CLOCK_SKEW_MS = 5 * 60_000;
/** What an agent may call the process a line comes from: a process type, or a dyno (web.1). */
const PROCESS_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,39}(\.\d{1,6})?$/;
const RESERVED_SOURCES = new Set(['router', 'scalarium']);

/** Which apps have processes on an instance, looked up at most once a second per instance. */
class InstanceApps {
  private readonly cache = new Map<string, { apps: Promise<Set<string>>; at: number }>();
  constructor(private readonly scalarium: Scalarium) {}

  async hosts(instanceId: string, app: string): Promise<boolean> {
    let entry = this.cache.get(instanceId);
    // A process started a moment ago may not be cached yet: a miss refreshes, but not more than once a second.
    if (!entry || (Date.now() - entry.at > 1000 && !(await entry.apps).has(app))) {
      entry = { apps: appsOnInstance(this.scalarium.db, instanceId).catch(() => new Set<string>()), at: Date.now() };
      this.cache.set(instanceId, entry);
    }
    return (await entry.apps).has(app);
  }
}

/** An instance may say where it is reached (its own processes only): an IP or a DNS name, nothing else. */
function validAddress(value: unknown): value is string {
  return typeof value === 'string' && (net.isIP(value) !== 0 || /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(value));
}

const STATES = new Set(['starting', 'ready', 'crashed', 'failed', 'stopped']);

async function applyReport(scalarium: Scalarium, peer: Peer, report: ProcessReport): Promise<void> {
  if (!report || typeof report.id !== 'string' || !STATES.has(report.state)) return;
  // The row says whose process it is (the report's own app and type are not to be believed).
  const before = await findProcessOnInstance(scalarium.db, peer.instanceId, report.id);
  if (!before) return;
  const restarts = Number.isInteger(report.restarts) ? report.restarts : before.restarts;
  if (report.state !== 'stopped') { // the stopper deletes the row itself
    const port = Number.isInteger(report.port) && report.port > 0 && report.port < 65536 ? report.port : undefined;
    await updateProcessOnInstance(scalarium.db, peer.instanceId, report.id, {
      state: report.state, ...(port ? { port } : {}), restarts,
      ...(typeof report.startedAt === 'string' ? { startedAt: report.startedAt } : {}),
    });
  }
  if (before.state === report.state && before.restarts === restarts) return;
  scalarium.hooks.processChanged.call({
    processId: before.id, app: before.app, type: before.type, instanceId: peer.instanceId, release: before.release,
    state: report.state, restarts, at: Date.now(),
    ...(typeof report.reason === 'string' ? { reason: report.reason.slice(0, 500) } : {}),
  });
}

/** Matches an agent's report after (re)connecting against the database. */
async function adoptProcesses(scalarium: Scalarium, peer: Peer, hello: HelloMessage): Promise<void> {
  const known = await listProcesses(scalarium.db, { instanceId: peer.instanceId });
  const reported = (Array.isArray(hello.processes) ? hello.processes : []).filter((r) => r && typeof r.id === 'string');
  const unknown = reported.filter((r) => !known.some((k) => k.id === r.id));
  for (const r of reported) if (!unknown.includes(r)) await applyReport(scalarium, peer, r);
  const gone = known.filter((k) => !reported.some((r) => r.id === k.id) && k.state !== 'starting');
  await deleteProcesses(scalarium.db, gone.map((g) => g.id));
  if (unknown.length) {
    logLine(scalarium, `stopping ${unknown.length} unknown process(es) on ${peer.instanceId}`);
    await scalarium.hub.request(peer.instanceId, { op: 'stop', ids: unknown.map((u) => u.id), graceMs: 10_000 }, 30_000).catch(() => {});
  }
}

function logLine(scalarium: Scalarium, line: string): void {
  scalarium.say(line);
}
