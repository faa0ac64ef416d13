// Leases: one named lock per app for every mutation (invariant 4). A lease has an owner and an
// expiry; the holder renews it while working, so a holder that dies frees it within the TTL, and a
// restarted server frees the leases of its own previous life at once.
import { now, type Db } from './knex.ts';

export interface Lease { name: string; owner: string; purpose: string; expires_at: string }

export async function tryAcquire(db: Db, name: string, owner: string, purpose: string, ttlMs: number): Promise<Lease | undefined> {
  const expires = new Date(Date.now() + ttlMs).toISOString();
  return db.transaction(async (trx) => {
    const held = await trx('locks').where({ name }).first();
    if (held && held.expires_at > now()) return undefined;
    if (held) await trx('locks').where({ name }).delete();
    await trx('locks').insert({ name, owner, purpose, expires_at: expires });
    return { name, owner, purpose, expires_at: expires };
  });
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
