// Failed password checks, counted per account and per source address over a sliding hour.
import { now, type Db } from '../../../server/plugin-api.ts';

export async function recordLoginFailure(db: Db, account: string, ip: string): Promise<void> {
  await db('login_failures').insert({ account: account.slice(0, 64), ip: ip.slice(0, 64), at: now() });
  // Keep the table small: nothing older than a day matters.
  await db('login_failures').where('at', '<', new Date(Date.now() - 86_400_000).toISOString()).delete();
}

export async function loginFailuresSince(db: Db, filter: { account?: string; ip?: string }, sinceMs: number): Promise<number> {
  const q = db('login_failures').where('at', '>', new Date(Date.now() - sinceMs).toISOString());
  if (filter.account !== undefined) q.where({ account: filter.account });
  if (filter.ip !== undefined) q.where({ ip: filter.ip });
  const row = await q.count({ n: '*' }).first();
  return Number(row?.n ?? 0);
}
