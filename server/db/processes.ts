// The server's record of every process it asked an agent to run. Agents report the actual state;
// `routed` marks the processes the router may send traffic to (set only after readiness), and of
// those it gets the ones whose agent last reported them ready: a crashed process, or one that failed
// its liveness check, is out of the table until it is ready again (plugins/routing republishes).
import { now, type Db } from './knex.ts';
import type { ProcessState } from '../agent/protocol.ts';

export interface ProcessRow {
  id: string; appId: number; instanceId: string; type: string; release: number; state: ProcessState;
  routed: boolean; port: number | null; restarts: number; startedAt: string | null;
}

export async function insertProcess(db: Db, p: Pick<ProcessRow, 'id' | 'appId' | 'instanceId' | 'type' | 'release'>): Promise<void> {
  await db('processes').insert({
    id: p.id, app_id: p.appId, instance_id: p.instanceId, type: p.type, release_version: p.release,
    state: 'starting', routed: false, created_at: now(),
  });
}

export type ProcessChange = Partial<Pick<ProcessRow, 'state' | 'port' | 'restarts' | 'startedAt' | 'routed'>>;

export async function updateProcess(db: Db, id: string, change: ProcessChange): Promise<void> {
  await updateWhere(db, { id }, change);
}

/** An instance's report about a process: applied only if that process is this instance's. */
export async function updateProcessOnInstance(db: Db, instanceId: string, id: string, change: ProcessChange): Promise<void> {
  await updateWhere(db, { id, instance_id: instanceId }, change);
}

/** One process of an instance with its app's name, or undefined when it is not that instance's. */
export async function findProcessOnInstance(db: Db, instanceId: string, id: string): Promise<(ProcessRow & { app: string }) | undefined> {
  const row = await db('processes').join('apps', 'apps.id', 'processes.app_id').where({ 'processes.id': id, 'processes.instance_id': instanceId })
    .first('processes.*', 'apps.name as app_name');
  return row ? { ...toProcess(row), app: row.app_name } : undefined;
}

/** Names of the apps that have processes on the instance (what its log lines may speak for). */
export async function appsOnInstance(db: Db, instanceId: string): Promise<Set<string>> {
  const rows = await db('processes').join('apps', 'apps.id', 'processes.app_id').where({ 'processes.instance_id': instanceId }).distinct('apps.name as name');
  return new Set(rows.map((r: { name: string }) => r.name));
}

async function updateWhere(db: Db, where: Record<string, string>, change: ProcessChange): Promise<void> {
  const row: Record<string, unknown> = {};
  if (change.state !== undefined) row.state = change.state;
  if (change.port !== undefined) row.port = change.port;
  if (change.restarts !== undefined) row.restarts = change.restarts;
  if (change.startedAt !== undefined) row.started_at = change.startedAt;
  if (change.routed !== undefined) row.routed = change.routed;
  if (Object.keys(row).length) await db('processes').where(where).update(row);
}

export async function setRouted(db: Db, ids: string[], routed: boolean): Promise<void> {
  if (ids.length) await db('processes').whereIn('id', ids).update({ routed });
}

export async function deleteProcesses(db: Db, ids: string[]): Promise<void> {
  if (ids.length) await db('processes').whereIn('id', ids).delete();
}

export async function listProcesses(db: Db, filter: { appId?: number; instanceId?: string } = {}): Promise<ProcessRow[]> {
  const q = db('processes').orderBy([{ column: 'type' }, { column: 'created_at' }]);
  if (filter.appId !== undefined) q.where({ app_id: filter.appId });
  if (filter.instanceId !== undefined) q.where({ instance_id: filter.instanceId });
  return (await q).map(toProcess);
}

function toProcess(r: Record<string, any>): ProcessRow {
  return {
    id: r.id, appId: r.app_id, instanceId: r.instance_id, type: r.type, release: r.release_version, state: r.state,
    routed: Boolean(r.routed), port: r.port, restarts: r.restarts, startedAt: r.started_at,
  };
}

/** Every app's routed web processes that are ready, with the address of their instance: the router's table. */
export async function routedWebBackends(db: Db, clusterId: number): Promise<Array<{ app: string; address: string | null; port: number }>> {
  return db('processes')
    .join('apps', 'apps.id', 'processes.app_id')
    .join('instances', 'instances.id', 'processes.instance_id')
    .where({ 'processes.routed': true, 'processes.type': 'web', 'processes.state': 'ready', 'apps.cluster_id': clusterId })
    // Only a live instance serves: not one given up on (failed: healing replaces it), nor one whose
    // agent is being started again (booting: its new life ends what the old one left running).
    .whereIn('instances.state', ['online', 'draining'])
    .whereNotNull('processes.port')
    .select('apps.name as app', 'processes.port', 'instances.address');
}
