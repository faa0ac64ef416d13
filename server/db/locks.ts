// Leases: one named lock per app for every mutation (invariant 4). A lease has an owner and an
// expiry; the holder renews it while working, so a holder that dies frees it within the TTL, and a
// restarted server frees the leases of its own previous life at once.
import { now, type Db } from './knex.ts';

export interface Lease { name: string; owner: string; purpose: string; expires_at: string }

/**
 * Takes the lease if it is free or expired. Two single statements, no read first: a transaction
 * that reads and then writes cannot wait for another SQLite connection's write (it fails at once
 * with SQLITE_BUSY), while a statement that writes first waits its busy timeout. The primary key
 * decides between two takers.
 */
export async function tryAcquire(db: Db, name: string, owner: string, purpose: string, ttlMs: number): Promise<Lease | undefined> {
  const expires = new Date(Date.now() + ttlMs).toISOString();
  await db('locks').where({ name }).where('expires_at', '<=', now()).delete();
  try {
    await db('locks').insert({ name, owner, purpose, expires_at: expires });
  } catch (error) {
    if (isUniqueViolation(error)) return undefined;
    throw error;
  }
  return { name, owner, purpose, expires_at: expires };
}

function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return e.code === '23505' || (e.code === 'SQLITE_CONSTRAINT' && /UNIQUE|PRIMARY KEY/i.test(e.message ?? ''));
}

export async function currentHolder(db: Db, name: string): Promise<Lease | undefined> {
  const held = await db('locks').where({ name }).first();
  return held && held.expires_at > now() ? held : undefined;
}

export async function renew(db: Db, name: string, owner: string, ttlMs: number): Promise<void> {
  await db('locks').where({ name, owner }).update({ expires_at: new Date(Date.now() + ttlMs).toISOString() });
}

export async function release(db: Db, name: string, owner: string): Promise<void> {
  await db('locks').where({ name, owner }).delete();
}

/** Frees leases held by earlier lives of this server (owners "<serverId>:<bootId>:…"). */
export async function releaseStale(db: Db, serverId: string, bootId: string): Promise<number> {
  return db('locks').where('owner', 'like', `${serverId}:%`).whereNot('owner', 'like', `${serverId}:${bootId}:%`).delete();
}
