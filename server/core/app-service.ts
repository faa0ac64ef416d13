// What people do to apps, shared by the REST API and the admin UI: every mutation validates its
// input, takes the app lock, writes an audit row, and leaves nothing half-done on failure. A body
// that the UI's forms also send (config vars, a formation) is parsed here with the API's schema
// (server/http/api/bodies/), so that both doors check it alike; the routes parse the others.
import fsp from 'node:fs/promises';
import type { Scalarium } from './scalarium.ts';
import { ScalariumError } from './errors.ts';
import { describeValue, isValidName } from './names.ts';
import type { Principal } from '../db/identity.ts';
import { removeAppBuildFiles } from '../build/workspace.ts';
import { changeConfig, deleteApp, findApp, getConfig, insertApp, setDeployBranch, setFormation, type AppRow, type Formation } from '../db/apps.ts';
import { deployBranchOf, deployRefOf } from './deploy-branch.ts';
import { findRelease, latestRelease, slugsInUse, type Release } from '../db/releases.ts';
import { audit } from './audit.ts';
import { ensureCluster, findCluster, findClusterById } from '../db/instances.ts';
import { withAppLock } from './app-lock.ts';
import { configureCluster } from './configure.ts';
import { defaultFormation, deployRelease } from './pipeline.ts';
import { runChangeLocked } from '../deploy/orchestrator.ts';
import { dataPaths, repoStore } from './paths.ts';
import { SlugStore } from '../build/slug-store.ts';
import type { Output } from './types.ts';
import { listProcesses } from '../db/processes.ts';
import { parseBody } from '../http/api/bodies/parse.ts';
import { configBody } from '../http/api/bodies/config.ts';
import { formationBody } from '../http/api/bodies/ps.ts';

const silent: Output = { line: () => {} };

export async function requireApp(scalarium: Scalarium, name: string): Promise<AppRow> {
  const app = isValidName(name) ? await findApp(scalarium.db, name) : undefined;
  if (!app) throw new ScalariumError('app_not_found', { app: name });
  return app;
}

/** The cluster an app goes to: the one named (a name: newAppBody), else the server's default. */
export function clusterForNewApp(scalarium: Scalarium, clusterName: string | null | undefined): string {
  if (clusterName) return clusterName;
  if (scalarium.defaultCluster) return scalarium.defaultCluster.name;
  throw new ScalariumError('invalid_body', { reason: 'this server has no default cluster: name one with --cluster (clusters lists them)' });
}

/** `appName` and `clusterName` are names already (POST /api/apps parses its body with newAppBody). */
export async function createApp(scalarium: Scalarium, principal: Principal, appName: string, clusterName?: string | null): Promise<AppRow> {
  const wanted = clusterForNewApp(scalarium, clusterName);
  if (await findApp(scalarium.db, appName)) throw new ScalariumError('app_exists', { app: appName });
  const fallback = scalarium.defaultCluster;
  const cluster = wanted === fallback?.name ? await ensureCluster(scalarium.db, fallback.name, fallback.provider) : await findCluster(scalarium.db, wanted);
  if (!cluster) throw new ScalariumError('cluster_not_found', { cluster: wanted });
  const repos = repoStore(scalarium);
  await repos.create(appName);
  try {
    const app = await insertApp(scalarium.db, appName, cluster.id, principal.user.name);
    await audit(scalarium, principal, 'app.create', appName);
    // The router learns the new host name now (it answers 503 until the first deploy, not 404).
    await configureCluster(scalarium, cluster, `app ${appName} created`).catch(() => {});
    return app;
  } catch (error) {
    await repos.remove(appName);
    if (await findApp(scalarium.db, appName)) throw new ScalariumError('app_exists', { app: appName });
    throw error;
  }
}

export async function destroyApp(scalarium: Scalarium, principal: Principal, name: string): Promise<void> {
  const app = await requireApp(scalarium, name);
  await withAppLock(scalarium, app.name, 'destroy', async () => {
    await scalarium.hooks.undeploy.promise({ app, output: silent });
    await deleteApp(scalarium.db, app.id);
    await scalarium.hooks.destroyed.promise({ kind: 'app', name: app.name });
    const cluster = await findClusterById(scalarium.db, app.cluster_id);
    if (cluster) await configureCluster(scalarium, cluster, `app ${app.name} destroyed`).catch(() => {});
    await repoStore(scalarium).remove(app.name);
    await removeAppBuildFiles(scalarium, app);
    await removeUnusedSlugs(scalarium);
    await audit(scalarium, principal, 'app.destroy', app.name);
  });
}

/** A slug no release uses may belong to a build under way (its release not recorded yet): keep those. */
const SLUG_GRACE_MS = 60 * 60 * 1000;

async function removeUnusedSlugs(scalarium: Scalarium): Promise<void> {
  const store = new SlugStore(dataPaths(scalarium).slugs);
  const used = await slugsInUse(scalarium.db);
  for (const sha of await store.list()) {
    if (used.has(sha)) continue;
    const made = await fsp.stat(store.pathOf(sha)).then((s) => s.mtimeMs, () => 0);
    if (Date.now() - made > SLUG_GRACE_MS) await store.remove(sha);
  }
}

/**
 * Changes config vars (`rawChange`: the body of PATCH …/config or the config form's one var, parsed
 * here with configBody); with a release live, makes a new release and restarts onto it.
 */
export async function setConfig(scalarium: Scalarium, principal: Principal, name: string, rawChange: unknown, output: Output = silent): Promise<{ config: Record<string, string>; release: Release | null; unchanged?: true }> {
  const change = parseBody(configBody, rawChange);
  const app = await requireApp(scalarium, name);
  return withAppLock(scalarium, app.name, 'config change', async () => {
    const before = await getConfig(scalarium.db, app.id);
    const after = { ...before };
    for (const [k, v] of Object.entries(change)) {
      if (v === null) delete after[k];
      else after[k] = v;
    }
    // Setting what is already set, or unsetting what is not: nothing to release, restart or audit.
    if (JSON.stringify(Object.entries(after).sort()) === JSON.stringify(Object.entries(before).sort())) {
      return { config: before, release: null, unchanged: true };
    }
    const current = await latestRelease(scalarium.db, app.id);
    const keys = Object.keys(change).join(', ');
    let release: Release | null = null;
    if (current) {
      const set = Object.entries(change).filter(([, v]) => v !== null).map(([k]) => k);
      const unset = Object.entries(change).filter(([, v]) => v === null).map(([k]) => k);
      const description = [set.length ? `Set ${set.join(', ')}` : '', unset.length ? `Unset ${unset.join(', ')}` : ''].filter(Boolean).join('; ');
      release = await runChangeLocked(scalarium, {
        app, principal, output, purpose: 'config change', replace: true,
        refs: current.commit ? [{ ref: deployRefOf(app), sha: current.commit }] : [],
        draft: () => ({
          slug: current.slug, commit: current.commit, buildId: current.buildId, config: after, processTypes: current.processTypes,
          description: `${description} config vars`, timings: {}, createdBy: principal.user.name,
        }),
      });
    }
    // Recorded with the release when there is one; before the first deploy, only stored.
    const config = release ? await getConfig(scalarium.db, app.id) : await changeConfig(scalarium.db, app.id, change);
    await audit(scalarium, principal, 'config.change', app.name, { detail: { keys } });
    return { config, release };
  });
}

export function parseVersion(value: unknown): number {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value : describeValue(value);
  const match = /^v?(\d{1,9})$/.exec(text);
  if (!match) throw new ScalariumError('invalid_version', { value: text });
  return Number(match[1]);
}

/** The release a rollback to `version` (default: the one before the latest) goes back to; throws what is wrong. */
export async function rollbackTarget(scalarium: Scalarium, app: AppRow, version: unknown): Promise<Release> {
  const current = await latestRelease(scalarium.db, app.id);
  if (!current) throw new ScalariumError('no_release', { app: app.name });
  const targetVersion = version === undefined || version === null || version === '' ? current.version - 1 : parseVersion(version);
  const target = await findRelease(scalarium.db, app.id, targetVersion);
  if (!target) throw new ScalariumError('release_not_found', { app: app.name, version: targetVersion });
  return target;
}

export async function rollback(scalarium: Scalarium, principal: Principal, name: string, version: unknown, output: Output = silent): Promise<Release> {
  const app = await requireApp(scalarium, name);
  return withAppLock(scalarium, app.name, 'rollback', async () => {
    const target = await rollbackTarget(scalarium, app, version);
    // The config goes back with the release, in the same transaction (server/deploy/commit.ts).
    return runChangeLocked(scalarium, {
      app, principal, output, purpose: 'rollback',
      refs: target.commit ? [{ ref: deployRefOf(app), sha: target.commit }] : [],
      draft: () => ({
        slug: target.slug, commit: target.commit, buildId: target.buildId, config: target.config, processTypes: target.processTypes,
        description: `Rollback to v${target.version}`, timings: {}, createdBy: principal.user.name,
      }),
    });
  });
}

/** A formation change (formationBody: counts) whose process types the live release has. */
function validateFormation(raw: unknown, processTypes: Record<string, string>): Formation {
  const change = parseBody(formationBody, raw, 'invalid_formation');
  const unknown = Object.keys(change).find((type) => !Object.hasOwn(processTypes, type));
  if (unknown !== undefined) {
    throw new ScalariumError('invalid_formation', { reason: `the current release has no process type "${unknown.slice(0, 40)}" (it has ${Object.keys(processTypes).join(', ')})` });
  }
  return change;
}

/**
 * `raw`: the body of PATCH …/formation or the scale form's one type, checked here (validateFormation).
 * `principal`: who asked, or the name of the plugin that decided (autoscaling) for the audit log.
 */
export async function scale(scalarium: Scalarium, principal: Principal | string, name: string, raw: unknown, output: Output = silent): Promise<Formation> {
  const app = await requireApp(scalarium, name);
  return withAppLock(scalarium, app.name, 'scale', async () => {
    const current = await latestRelease(scalarium.db, app.id);
    if (!current) throw new ScalariumError('no_release', { app: app.name });
    const change = validateFormation(raw, current.processTypes);
    const formation = { ...defaultFormation(app.formation, current.processTypes), ...change };
    await deployRelease(scalarium, app, current, output, { formation });
    await setFormation(scalarium.db, app.id, formation);
    await audit(scalarium, principal, 'formation.change', app.name, { detail: { formation } });
    return formation;
  });
}

/** Restarts one process type of the live release (`type`, from restartBody), or all of them. */
export async function restart(scalarium: Scalarium, principal: Principal, name: string, type: string | undefined, output: Output = silent): Promise<number> {
  const app = await requireApp(scalarium, name);
  return withAppLock(scalarium, app.name, 'restart', async () => {
    const current = await latestRelease(scalarium.db, app.id);
    if (!current) throw new ScalariumError('no_release', { app: app.name });
    if (type !== undefined && !Object.hasOwn(current.processTypes, type)) {
      throw new ScalariumError('unknown_process_type', { app: app.name, type: type.slice(0, 40), types: Object.keys(current.processTypes).join(', ') });
    }
    const before = (await listProcesses(scalarium.db, { appId: app.id })).filter((p) => !type || p.type === type).length;
    await deployRelease(scalarium, app, current, output, { replace: true, onlyTypes: type ? [type] : undefined });
    await audit(scalarium, principal, 'ps.restart', app.name, { detail: { type: type ?? 'all' } });
    return before;
  });
}

/**
 * Makes `branch` (a branch name: PATCH /api/apps/:app parses it with appChangeBody) the app's deploy
 * branch. Refused while that branch points at another commit than the live release (the invariant
 * would break): deploy it first, then switch.
 */
export async function changeDeployBranch(scalarium: Scalarium, principal: Principal, name: string, branch: string): Promise<AppRow> {
  const app = await requireApp(scalarium, name);
  return withAppLock(scalarium, app.name, 'deploy branch change', async () => {
    if (app.deploy_branch === branch) return app;
    const live = await latestRelease(scalarium.db, app.id);
    const tip = await repoStore(scalarium).branchCommit(app.name, branch);
    if (live?.commit && tip && tip !== live.commit) {
      throw new ScalariumError('invalid_body', {
        reason: `${branch} is at ${tip.slice(0, 7)} but the live release is ${live.commit.slice(0, 7)}: deploy it first (scalarium deploy --commit ${branch}), then make it the deploy branch`,
      });
    }
    await setDeployBranch(scalarium.db, app.id, branch);
    await audit(scalarium, principal, 'app.deploy-branch', app.name, { detail: { from: deployBranchOf(app), to: branch } });
    return { ...app, deploy_branch: branch };
  });
}
