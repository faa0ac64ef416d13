// The path of every change that makes a release, on one screen. A git push, a deploy from the UI or
// API (a commit, an archive, an upload), a rollback and a config change all come through here:
//
//   veto (receive hook) → lock → fetch the source → build (checkout, detect, compile, release
//        hooks; skipped when the slug is reused)
//        → journal "rolling-out" → roll out (deploy hook) → keep the source (a push's objects)
//        → commit: release row + config + journal "committed", one transaction
//        → move branches → journal "done" → audit, deployed hook
//
// Invariant 1 (release exists ⇔ the deploy branch is at its commit, and the stored config is the
// live release's) holds at every instant that a crash can pick: before the commit nothing of the
// change is recorded (the start-up recovery aborts the journal entry and reconciling puts the last
// release back); after it, recovery finishes the branch moves. See server/deploy/recovery.ts.
import type { Scalarium } from '../core/scalarium.ts';
import type { AppRow } from '../db/apps.ts';
import type { Principal } from '../db/identity.ts';
import type { PushContext } from '../core/types.ts';
import { ScalariumError } from '../core/errors.ts';
import { latestRelease, nextVersion, type Release } from '../db/releases.ts';
import { markJournal, openJournal, type RefMove } from '../db/journal.ts';
import { withAppLock } from '../core/app-lock.ts';
import { buildSource, defaultFormation, deployRelease, type BuildResult, type BuildSource } from '../core/pipeline.ts';
import { audit } from '../core/audit.ts';
import type { Output } from '../core/types.ts';
import { commitRelease } from './commit.ts';
import { faultPoint } from './fault.ts';
import { settleRefsLocked } from './settle.ts';

export type Draft = Omit<Release, 'version' | 'createdAt'>;

export interface ReleaseChange {
  app: AppRow;
  principal: Principal;
  output: Output;
  /** Why the app is locked, for whoever finds it busy ("push of 1a2b3c4"). */
  purpose: string;
  /** New code to ask the receive hook about before anything happens; a veto throws deploy_refused. */
  incoming?: Pick<PushContext, 'via' | 'ref' | 'oldSha' | 'newSha'>;
  /**
   * Source to build; without it the release reuses a slug (rollback, config change). A function is
   * a source still to fetch (an archive to download): fetched after the veto, under the lock.
   */
  source?: BuildSource | (() => Promise<BuildSource>);
  /** The release to make, from the build if there was one; read under the lock. */
  draft(build: BuildResult | undefined): Draft | Promise<Draft>;
  /** Branches that must point at the release's commit once it is recorded. */
  refs?: RefMove[];
  /** A push's branch is moved by git after the verdict; every other branch by the server. */
  gitMovesRefs?: boolean;
  /** Replace every process even where the slug is unchanged (config changes). */
  replace?: boolean;
  /** Checked after the rollout, before the commit (a push whose client went away throws). */
  beforeCommit?(): void;
  /** Makes the release's commit durable in the repository before it is recorded. */
  keepSource?(): Promise<void>;
}

export async function runChange(scalarium: Scalarium, change: ReleaseChange): Promise<Release> {
  await refuseIfVetoed(scalarium, change);
  return withAppLock(scalarium, change.app.name, change.purpose, () => runChangeLocked(scalarium, change));
}

/** The receive hook's plugins (deploy-lock, …) may refuse new code, whichever way it comes. */
async function refuseIfVetoed(scalarium: Scalarium, change: ReleaseChange): Promise<void> {
  if (!change.incoming) return;
  const veto = await scalarium.hooks.receive.promise({ app: change.app, principal: change.principal, ...change.incoming });
  if (veto) throw new ScalariumError('deploy_refused', { reason: veto });
}

/** The same, for a caller that already holds the app lock. */
export async function runChangeLocked(scalarium: Scalarium, change: ReleaseChange): Promise<Release> {
  const { app, output } = change;
  const { db } = scalarium;
  const source = typeof change.source === 'function' ? await change.source() : change.source;
  if (source) output.line(`-----> Building ${app.name} (${/^[0-9a-f]{40}$/.test(source.id) ? source.id.slice(0, 7) : source.id})`);
  const build = source ? await buildSource(scalarium, app, source, change.principal, output) : undefined;
  faultPoint(scalarium, 'built');
  const draft = await change.draft(build);
  if (build) output.line('-----> Launching...');
  const release: Release = { ...draft, version: await nextVersion(db, app.id), createdAt: new Date().toISOString() };
  const refs = draft.commit ? (change.refs ?? []) : [];
  const journal = await openJournal(db, app.id, release.version, refs, scalarium.owner);
  faultPoint(scalarium, 'journaled');

  let rolledOut = false;
  try {
    const started = performance.now();
    await deployRelease(scalarium, app, release, output, { replace: change.replace ?? false });
    rolledOut = true;
    faultPoint(scalarium, 'rolled-out');
    change.beforeCommit?.();
    await change.keepSource?.();
    release.timings = { ...release.timings, deploy: Math.round(performance.now() - started) };
    faultPoint(scalarium, 'source-kept');
  } catch (error) {
    await markJournal(db, journal, 'aborted');
    // The rollout succeeded but the change did not: the last recorded release goes back.
    if (rolledOut) await restoreLatest(scalarium, app).catch(() => {});
    throw error;
  }

  const stored = await commitRelease(db, app.id, release, journal);
  faultPoint(scalarium, 'committed');
  if (!change.gitMovesRefs) await settleRefsLocked(scalarium, app);
  faultPoint(scalarium, 'refs-moved');
  await audit(scalarium, change.principal, 'release.create', `${app.name} v${release.version}`, { detail: { description: release.description } });
  return stored;
}

/** Rolls the latest recorded release out again (the processes of an uncommitted one go). */
async function restoreLatest(scalarium: Scalarium, app: AppRow): Promise<void> {
  const latest = await latestRelease(scalarium.db, app.id);
  if (latest) await deployRelease(scalarium, app, latest, { line: () => {} }, { formation: defaultFormation(app.formation, latest.processTypes) });
  else await scalarium.hooks.undeploy.promise({ app, output: { line: () => {} } });
}
