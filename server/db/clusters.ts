// Cluster settings, roles (with their desired instance counts) and lifecycle event runs.
import { now, type Db } from './knex.ts';
import { open, seal } from './sealed.ts';
import type { Cluster } from './instances.ts';

export interface ClusterSettings {
  region?: string;
  endpoint?: string;
  image?: string;
  instanceType?: string;
  subnet?: string;
  keyPair?: string;
  spot?: boolean;
  /** Where instances reach the server (defaults to the server's own URL). */
  serverUrl?: string;
  elasticIpForRouters?: boolean;
  /** How long a new instance's agent has to connect before the instance is failed. */
  bootTimeoutMs?: number;
  /** How long a tagged instance no row wants may live before it is terminated. */
  orphanGraceMs?: number;
  keepFailedInstances?: boolean;
  /** Leave the instance metadata service on after boot (ec2). */
  keepMetadata?: boolean;
  securityGroupIds?: string[];
  retry?: { attempts?: number; baseMs?: number; capMs?: number };
  /** Tells this installation's cluster apart from any other of the same name in one cloud account. */
  clusterUid?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

export interface Role { name: string; count: number }

const settingsAad = (clusterId: number) => `cluster-credentials:${clusterId}`;

export async function getClusterSettings(db: Db, cluster: Pick<Cluster, 'id'>): Promise<ClusterSettings> {
  const row = await db('clusters').where({ id: cluster.id }).first();
  const settings = JSON.parse(row?.settings ?? '{}') as ClusterSettings & { sealedCredentials?: string };
  const { sealedCredentials, ...rest } = settings;
  return sealedCredentials ? { ...rest, credentials: JSON.parse(open(db, sealedCredentials, settingsAad(cluster.id))) } : rest;
}

/** Stored credentials are sealed like config vars. */
export async function setClusterSettings(db: Db, cluster: Pick<Cluster, 'id'>, settings: ClusterSettings): Promise<void> {
  const { credentials, ...rest } = settings;
  const stored = credentials ? { ...rest, sealedCredentials: seal(db, JSON.stringify(credentials), settingsAad(cluster.id)) } : rest;
  await db('clusters').where({ id: cluster.id }).update({ settings: JSON.stringify(stored) });
}

/** Re-seals stored cloud credentials (key rotation). */
export async function resealClusterCredentials(db: Db, reseal: (value: string, aad: string) => string): Promise<number> {
  const rows = await db('clusters').select('id', 'settings');
  let count = 0;
  await db.transaction(async (trx) => {
    for (const r of rows) {
      const settings = JSON.parse(r.settings ?? '{}') as { sealedCredentials?: string };
      if (!settings.sealedCredentials) continue;
      settings.sealedCredentials = reseal(settings.sealedCredentials, settingsAad(r.id));
      await trx('clusters').where({ id: r.id }).update({ settings: JSON.stringify(settings) });
      count++;
    }
  });
  return count;
}

export async function createCluster(db: Db, name: string, provider: string, settings: ClusterSettings, roles: Role[]): Promise<Cluster> {
  const cluster = await db.transaction(async (trx) => {
    const [id] = await trx('clusters').insert({ name, provider, settings: '{}', created_at: now() });
    for (const role of roles) await trx('roles').insert({ cluster_id: Number(id), name: role.name, count: role.count, created_at: now() });
    return { id: Number(id), name, provider };
  });
  await setClusterSettings(db, cluster, settings);
  return cluster;
}

export async function deleteCluster(db: Db, id: number): Promise<void> {
  await db.transaction(async (trx) => {
    await trx('instances').where({ cluster_id: id }).delete();
    await trx('clusters').where({ id }).delete();
  });
}

export async function listRoles(db: Db, clusterId: number): Promise<Role[]> {
  return (await db('roles').where({ cluster_id: clusterId }).orderBy('name')).map((r) => ({ name: r.name, count: r.count }));
}

export async function setRoleCounts(db: Db, clusterId: number, counts: Record<string, number>): Promise<void> {
  await db.transaction(async (trx) => {
    for (const [name, count] of Object.entries(counts)) {
      const updated = await trx('roles').where({ cluster_id: clusterId, name }).update({ count });
      if (!updated) await trx('roles').insert({ cluster_id: clusterId, name, count, created_at: now() });
    }
  });
}

export interface EventRun {
  id: number; clusterId: number; instanceId: string | null; event: string; app: string | null; status: string;
  output: string | null; durationMs: number | null; reason: string | null; startedAt: string; finishedAt: string | null;
}

export async function startEventRun(db: Db, run: { clusterId: number; instanceId?: string; event: string; app?: string }): Promise<number> {
  const [id] = await db('event_runs').insert({
    cluster_id: run.clusterId, instance_id: run.instanceId ?? null, event: run.event, app: run.app ?? null, status: 'running', started_at: now(),
  });
  return Number(id);
}

export async function finishEventRun(db: Db, id: number, result: { status: 'succeeded' | 'failed' | 'superseded'; output?: string; durationMs: number; reason?: string }): Promise<void> {
  await db('event_runs').where({ id }).update({
    status: result.status, output: result.output?.slice(-64_000) ?? null, duration_ms: result.durationMs, reason: result.reason?.slice(0, 1000) ?? null, finished_at: now(),
  });
}

export async function listEventRuns(db: Db, clusterId: number, limit = 100): Promise<EventRun[]> {
  return (await db('event_runs').where({ cluster_id: clusterId }).orderBy('id', 'desc').limit(limit)).map((r) => ({
    id: r.id, clusterId: r.cluster_id, instanceId: r.instance_id, event: r.event, app: r.app, status: r.status, output: r.output,
    durationMs: r.duration_ms, reason: r.reason, startedAt: r.started_at, finishedAt: r.finished_at,
  }));
}
