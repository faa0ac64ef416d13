// After a release is committed, the app's branches must point at its commit (invariant 1: the
// deploy branch equals the live release). A push's branch is moved by git after the verdict; the
// server moves the rest (main when master was pushed, the branch of an API deploy) and repairs what
// a crash left between commit and ref move. Only the newest release moves refs: an older entry
// settled late must never move a branch backwards.
import type { Scalarium } from '../core/scalarium.ts';
import type { AppRow } from '../db/apps.ts';
import { findApp } from '../db/apps.ts';
import { latestRelease } from '../db/releases.ts';
import { markJournal, unsettledJournal, type JournalEntry, type RefMove } from '../db/journal.ts';
import { repoStore } from '../core/paths.ts';
import { withAppLock } from '../core/app-lock.ts';
import { ScalariumError } from '../core/errors.ts';

const branchOf = (ref: string) => ref.replace(/^refs\/heads\//, '');

/** The app's committed entries, and the branch moves the newest release still needs. */
async function pending(scalarium: Scalarium, app: AppRow): Promise<{ entries: JournalEntry[]; moves: RefMove[]; version?: number }> {
  const entries = (await unsettledJournal(scalarium.db, app.id)).filter((e) => e.state === 'committed');
  if (!entries.length) return { entries, moves: [] };
  const latest = await latestRelease(scalarium.db, app.id);
  const repos = repoStore(scalarium);
  const moves: RefMove[] = [];
  for (const move of entries.find((e) => e.version === latest?.version)?.refs ?? []) {
    if ((await repos.branchCommit(app.name, branchOf(move.ref))) !== move.sha) moves.push(move);
  }
  return { entries, moves, version: latest?.version };
}

async function markDone(scalarium: Scalarium, entries: JournalEntry[]): Promise<void> {
  for (const entry of entries) await markJournal(scalarium.db, entry.id, 'done');
}

/** Settles the app's committed entries; the caller holds the app lock. */
export async function settleRefsLocked(scalarium: Scalarium, app: AppRow): Promise<void> {
  const { entries, moves, version } = await pending(scalarium, app);
  const repos = repoStore(scalarium);
  for (const move of moves) {
    if (!(await repos.resolveCommit(app.name, move.sha))) {
      scalarium.say(`${app.name} v${version}: commit ${move.sha.slice(0, 7)} is not in the repository; ${move.ref} left as it is`);
      continue;
    }
    await repos.moveBranch(app.name, branchOf(move.ref), move.sha);
  }
  await markDone(scalarium, entries);
}

/**
 * Settles after a push (its git process ends after the push released the lock). The usual case,
 * git moved the branch, needs no lock (done is final, and nothing else writes it); a branch to
 * move waits until the app is free.
 */
export async function settleRefs(scalarium: Scalarium, appName: string, attempts = 60): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    const app = await findApp(scalarium.db, appName);
    if (!app) return;
    const { entries, moves } = await pending(scalarium, app);
    if (!moves.length) return markDone(scalarium, entries);
    try {
      await withAppLock(scalarium, app.name, 'settle branches', () => settleRefsLocked(scalarium, app));
      return;
    } catch (error) {
      if (!(error instanceof ScalariumError && error.code === 'app_locked')) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}
