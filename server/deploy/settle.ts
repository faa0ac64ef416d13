// After a release is committed, the app's branches must point at its commit (invariant 1: the
// deploy branch equals the live release). A push's branch is moved by git after the verdict; the
// server moves the rest (main when master was pushed, the branch of an API deploy) and repairs what
// a crash left between commit and ref move. Only the newest release moves refs: an older entry
// settled late must never move a branch backwards.
import type { Scalarium } from '../core/scalarium.ts';
import type { AppRow } from '../db/apps.ts';
import { findApp } from '../db/apps.ts';
import { latestRelease } from '../db/releases.ts';
import { markJournal, unsettledJournal } from '../db/journal.ts';
import { repoStore } from '../core/app-service.ts';
import { withAppLock } from '../core/app-lock.ts';
import { ScalariumError } from '../core/errors.ts';

/** Settles the app's committed entries; the caller holds the app lock. */
export async function settleRefsLocked(scalarium: Scalarium, app: AppRow): Promise<void> {
  const entries = (await unsettledJournal(scalarium.db, app.id)).filter((e) => e.state === 'committed');
  if (!entries.length) return;
  const latest = await latestRelease(scalarium.db, app.id);
  const repos = repoStore(scalarium);
  for (const entry of entries) {
    if (entry.version === latest?.version) {
      for (const move of entry.refs) {
        const branch = move.ref.replace(/^refs\/heads\//, '');
        if ((await repos.branchCommit(app.name, branch)) === move.sha) continue;
        if (!(await repos.resolveCommit(app.name, move.sha))) {
          scalarium.say(`${app.name} v${entry.version}: commit ${move.sha.slice(0, 7)} is not in the repository; ${move.ref} left as it is`);
          continue;
        }
        await repos.moveBranch(app.name, branch, move.sha);
      }
    }
    await markJournal(scalarium.db, entry.id, 'done');
  }
}

/** Whether every committed entry of the app already has its branches where they belong. */
async function alreadySettled(scalarium: Scalarium, app: AppRow): Promise<boolean> {
  const entries = (await unsettledJournal(scalarium.db, app.id)).filter((e) => e.state === 'committed');
  const latest = await latestRelease(scalarium.db, app.id);
  const repos = repoStore(scalarium);
  for (const entry of entries) {
    if (entry.version !== latest?.version) continue;
    for (const move of entry.refs) if ((await repos.branchCommit(app.name, move.ref.replace(/^refs\/heads\//, ''))) !== move.sha) return false;
  }
  // Nothing to move: marking them done needs no lock (done is final, and nothing else writes it).
  for (const entry of entries) await markJournal(scalarium.db, entry.id, 'done');
  return true;
}

/**
 * Settles after a push (its git process ends after the push released the lock). The usual case,
 * git moved the branch, needs no lock; a branch to move waits until the app is free.
 */
export async function settleRefs(scalarium: Scalarium, appName: string, attempts = 60): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    const app = await findApp(scalarium.db, appName);
    if (!app || (await alreadySettled(scalarium, app))) return;
    try {
      await withAppLock(scalarium, app.name, 'settle branches', () => settleRefsLocked(scalarium, app));
      return;
    } catch (error) {
      if (!(error instanceof ScalariumError && error.code === 'app_locked')) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}
