// The deployment journal (migration 006): what a change that makes a release has got to.
import { now, type Db } from './knex.ts';

export type JournalState = 'rolling-out' | 'committed' | 'done' | 'aborted';
export interface RefMove { ref: string; sha: string }
export interface JournalEntry { id: number; appId: number; version: number; state: JournalState; refs: RefMove[]; owner: string }

export async function openJournal(db: Db, appId: number, version: number, refs: RefMove[], owner: string): Promise<number> {
  const at = now();
  const [id] = await db('deploy_journal').insert({ app_id: appId, version, state: 'rolling-out', refs: JSON.stringify(refs), owner, created_at: at, updated_at: at });
  return Number(id);
}

export async function markJournal(db: Db, id: number, state: JournalState): Promise<void> {
  await db('deploy_journal').where({ id }).update({ state, updated_at: now() });
}

/** Entries not yet done or aborted, oldest first; of one app, or of every app. */
export async function unsettledJournal(db: Db, appId?: number): Promise<JournalEntry[]> {
  const query = db('deploy_journal').whereIn('state', ['rolling-out', 'committed']).orderBy('id');
  if (appId !== undefined) query.where({ app_id: appId });
  return (await query).map((r) => ({ id: r.id, appId: r.app_id, version: r.version, state: r.state, refs: JSON.parse(r.refs), owner: r.owner }));
}
