// Clusters and their instances.
import crypto from 'node:crypto';
import { now, type Db } from './knex.ts';
import { sha256 } from './identity.ts';

export type InstanceState = 'requested' | 'booting' | 'setup' | 'online' | 'draining' | 'stopped' | 'failed';
export interface Cluster { id: number; name: string; provider: string }
export interface Instance {
  id: string; clusterId: number; role: string; state: InstanceState; address: string | null;
  port: number | null; pid: number | null; lastSeenAt: string | null;
  /** The provider's id for it (an EC2 instance id). */
  providerRef: string | null; failure: string | null; launchedAt: string | null; createdAt: string;
}

export async function findCluster(db: Db, name: string): Promise<Cluster | undefined> {
  return db('clusters').where({ name }).first();
}

export async function listClusters(db: Db): Promise<Cluster[]> {
  return db('clusters').orderBy('name');
}

export async function findClusterById(db: Db, id: number): Promise<Cluster | undefined> {
  return db('clusters').where({ id }).first();
}

/** Instances of a role that are, or are about to be, running. */
export async function countLiveInstances(db: Db, role: string, clusterId: number): Promise<number> {
  const row = await db('instances').where({ role, cluster_id: clusterId }).whereIn('state', ['online', 'booting', 'setup']).count({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

export async function ensureCluster(db: Db, name: string, provider: string): Promise<Cluster> {
  const found = await findCluster(db, name);
  if (found) return found;
  const [id] = await db('clusters').insert({ name, provider, created_at: now() });
  return { id: Number(id), name, provider };
}

export async function insertInstance(db: Db, i: { id: string; clusterId: number; role: string; token: string }): Promise<void> {
  await db('instances').insert({ id: i.id, cluster_id: i.clusterId, role: i.role, state: 'requested', token_hash: sha256(i.token), created_at: now() });
}

export async function setInstanceToken(db: Db, id: string, token: string): Promise<void> {
  await db('instances').where({ id }).update({ token_hash: sha256(token), next_token_hash: null });
}

/**
 * The instance is given up on: its token revoked first (a late agent cannot join as it), then
 * failed with the reason. Providers and healing give up rows the same way.
 */
export async function giveUpInstance(db: Db, id: string, reason: string): Promise<void> {
  await setInstanceToken(db, id, crypto.randomBytes(32).toString('base64url'));
  await updateInstance(db, id, { state: 'failed', failure: reason.slice(0, 1000) });
}

export async function listInstances(db: Db, clusterId?: number): Promise<Instance[]> {
  const q = db('instances').orderBy('id');
  if (clusterId !== undefined) q.where({ cluster_id: clusterId });
  return (await q).map(toInstance);
}

export async function findInstance(db: Db, id: string): Promise<Instance | undefined> {
  const row = await db('instances').where({ id }).first();
  return row ? toInstance(row) : undefined;
}

/** The instance's current token, or the replacement it was just given. */
export async function instanceTokenMatches(db: Db, id: string, token: string): Promise<boolean> {
  return (await instanceByToken(db, id, token)) !== undefined;
}

/** The role of the instance the token belongs to, or undefined when it belongs to none. */
export async function instanceByToken(db: Db, id: string, token: string): Promise<{ role: string } | undefined> {
  const hash = sha256(token);
  const row = await db('instances').where({ id }).andWhere((q) => q.where({ token_hash: hash }).orWhere({ next_token_hash: hash })).first('role');
  return row ? { role: String(row.role) } : undefined;
}

/** Issues a replacement token (returned in plaintext once); the current one stays valid until confirmed. */
export async function offerNextToken(db: Db, id: string, token: string): Promise<void> {
  await db('instances').where({ id }).update({ next_token_hash: sha256(token) });
}

/** The instance uses its replacement token: it becomes the only one (the user-data token is dead). */
export async function confirmNextToken(db: Db, id: string, token: string): Promise<boolean> {
  const hash = sha256(token);
  return (await db('instances').where({ id, next_token_hash: hash }).update({ token_hash: hash, next_token_hash: null })) > 0;
}

export async function updateInstance(db: Db, id: string, change: Partial<Pick<Instance, 'state' | 'address' | 'port' | 'pid' | 'lastSeenAt' | 'providerRef' | 'failure' | 'launchedAt'>>): Promise<void> {
  const row: Record<string, unknown> = {};
  if (change.providerRef !== undefined) row.provider_ref = change.providerRef;
  if (change.failure !== undefined) row.failure = change.failure;
  if (change.launchedAt !== undefined) row.launched_at = change.launchedAt;
  if (change.state) row.state = change.state;
  if (change.address !== undefined) row.address = change.address;
  if (change.port !== undefined) row.port = change.port;
  if (change.pid !== undefined) row.pid = change.pid;
  if (change.lastSeenAt !== undefined) row.last_seen_at = change.lastSeenAt;
  if (Object.keys(row).length) await db('instances').where({ id }).update(row);
}

/** Moves an instance from one state to another only if it is still in the first: false when something else moved it. */
export async function moveInstanceState(db: Db, id: string, from: InstanceState, to: InstanceState): Promise<boolean> {
  return (await db('instances').where({ id, state: from }).update({ state: to })) > 0;
}

function toInstance(r: Record<string, any>): Instance {
  return {
    id: r.id, clusterId: r.cluster_id, role: r.role, state: r.state, address: r.address, port: r.port, pid: r.pid, lastSeenAt: r.last_seen_at,
    providerRef: r.provider_ref, failure: r.failure ?? null, launchedAt: r.launched_at ?? null, createdAt: r.created_at,
  };
}
