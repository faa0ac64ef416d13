// Keeps the database in step with what connected agents report: instance online/offline, process
// states, and processes nobody asked for (leftovers of an interrupted deploy) are stopped.
import type { Scalarium } from '../core/scalarium.ts';
import { findInstance, updateInstance } from '../db/instances.ts';
import { deleteProcesses, listProcesses, updateProcess } from '../db/processes.ts';
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
        ...(hello.address ? { address: hello.address } : {}),
      });
      if (peer.kind === 'agent') {
        await adoptProcesses(scalarium, peer, hello);
        onAgentReconciled(peer, firstTime);
      }
    })().catch((error: Error) => logLine(scalarium, `sync of ${peer.instanceId} failed: ${error.message}`));
  });

  hub.on('disconnected', (peer) => {
    updateInstance(db, peer.instanceId, { lastSeenAt: new Date().toISOString() }).catch(() => {});
  });

  hub.on('process', (_peer, report) => {
    applyReport(scalarium, report).catch(() => {});
  });

  hub.on('heartbeat', (peer, beat) => {
    scalarium.hooks.heartbeat.call({ instanceId: peer.instanceId, at: beat.at, load: beat.load, freeMem: beat.freeMem });
  });

  hub.on('log', (_peer, message) => {
    scalarium.hooks.log.call({ app: message.app, source: message.source, line: message.line, at: message.at });
  });
}

async function applyReport(scalarium: Scalarium, report: ProcessReport): Promise<void> {
  if (report.state === 'stopped') return; // the stopper deletes the row itself
  await updateProcess(scalarium.db, report.id, {
    state: report.state, port: report.port, restarts: report.restarts, ...(report.startedAt ? { startedAt: report.startedAt } : {}),
  });
}

/** Matches an agent's report after (re)connecting against the database. */
async function adoptProcesses(scalarium: Scalarium, peer: Peer, hello: HelloMessage): Promise<void> {
  const known = await listProcesses(scalarium.db, { instanceId: peer.instanceId });
  const reported = hello.processes ?? [];
  const unknown = reported.filter((r) => !known.some((k) => k.id === r.id));
  for (const r of reported) if (!unknown.includes(r)) await applyReport(scalarium, r);
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
