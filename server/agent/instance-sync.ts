// Keeps the database in step with what connected agents report: instance online/offline, process
// states, and processes nobody asked for (leftovers of an interrupted deploy) are stopped.
import net from 'node:net';
import type { Scalarium } from '../core/scalarium.ts';
import { findClusterById, findInstance, updateInstance } from '../db/instances.ts';
import { appsOnInstance, deleteProcesses, listProcesses, updateProcessOnInstance } from '../db/processes.ts';
import type { Peer } from './hub.ts';
import type { HelloMessage, ProcessReport } from './protocol.ts';

/** `firstTime`: the instance had never been online — it needs the setup event. */
export function syncInstances(scalarium: Scalarium, onAgentReconciled: (peer: Peer, firstTime: boolean) => void): void {
  const { hub, db } = scalarium;

  hub.on('connected', (peer, hello) => {
    (async () => {
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
    })().catch((error: Error) => logLine(scalarium, `sync of ${peer.instanceId} failed: ${error.message}`));
  });

  hub.on('disconnected', (peer) => {
    updateInstance(db, peer.instanceId, { lastSeenAt: new Date().toISOString() }).catch(() => {});
  });

  // Every id an instance speaks of must be its own: one instance's token must not let its holder
  // reroute another instance's processes or write into another app's logs.
  hub.on('process', (peer, report) => {
    applyReport(scalarium, peer, report).catch(() => {});
  });

  const apps = new InstanceApps(scalarium);
  hub.on('log', (peer, message) => {
    if (typeof message.app !== 'string' || typeof message.line !== 'string' || typeof message.source !== 'string') return;
    void apps.hosts(peer.instanceId, message.app).then((ok) => {
      if (!ok) return;
      const at = typeof message.at === 'string' && !Number.isNaN(Date.parse(message.at)) ? message.at : new Date().toISOString();
      scalarium.hooks.log.call({ app: message.app, source: message.source.slice(0, 40), line: message.line.slice(0, 16_384), at });
    });
  });
}

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
  if (report.state === 'stopped') return; // the stopper deletes the row itself
  const port = Number.isInteger(report.port) && report.port > 0 && report.port < 65536 ? report.port : undefined;
  await updateProcessOnInstance(scalarium.db, peer.instanceId, report.id, {
    state: report.state, ...(port ? { port } : {}), ...(Number.isInteger(report.restarts) ? { restarts: report.restarts } : {}),
    ...(typeof report.startedAt === 'string' ? { startedAt: report.startedAt } : {}),
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
