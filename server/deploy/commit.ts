// The point of no return of a change: the release row, the config it runs with and the journal's
// "committed" are written in one transaction, so that no crash can leave one without the others.
import type { Db } from '../db/knex.ts';
import { replaceConfig } from '../db/apps.ts';
import { insertRelease, type NewRelease, type Release } from '../db/releases.ts';
import { markJournal } from '../db/journal.ts';

export function commitRelease(db: Db, appId: number, release: NewRelease, journalId: number): Promise<Release> {
  return db.transaction(async (trx) => {
    const stored = await insertRelease(trx, appId, release);
    await replaceConfig(trx, appId, release.config);
    await markJournal(trx, journalId, 'committed');
    return stored;
  });
}
