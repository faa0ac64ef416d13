// At start: what this server's previous life left half-done. A change that had not committed is
// aborted (its release does not exist; reconciling puts the latest committed release back on the
// instances). A committed one gets its branches moved. Runs before the server listens.
import type { Scalarium } from '../core/scalarium.ts';
import { markJournal, unsettledJournal } from '../db/journal.ts';
import { settleRefsLocked } from './settle.ts';
import { findAppById } from '../db/apps.ts';

export async function recoverJournal(scalarium: Scalarium): Promise<string[]> {
  const notes: string[] = [];
  const mine = (owner: string) => owner.startsWith(`${scalarium.config.serverId}:`) && owner !== scalarium.owner;
  const entries = (await unsettledJournal(scalarium.db)).filter((e) => mine(e.owner));
  for (const entry of entries.filter((e) => e.state === 'rolling-out')) {
    await markJournal(scalarium.db, entry.id, 'aborted');
    notes.push(`release v${entry.version} of app #${entry.appId} was interrupted before it was recorded: aborted`);
  }
  const apps = new Set(entries.filter((e) => e.state === 'committed').map((e) => e.appId));
  for (const appId of apps) {
    const app = await findAppById(scalarium.db, appId);
    if (!app) continue;
    await settleRefsLocked(scalarium, app);
    notes.push(`app ${app.name}: branches settled on its latest release`);
  }
  return notes;
}
