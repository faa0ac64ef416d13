// The two halves of a change that makes a release: the build (source → slug and release spec) and
// the rollout (a release onto the instances). The sequence around them, and the commit that
// records a release, is server/deploy/orchestrator.ts.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Scalarium } from './scalarium.ts';
import type { AppRow } from '../db/apps.ts';
import { getConfig } from '../db/apps.ts';
import type { Principal } from '../db/identity.ts';
import type { Release } from '../db/releases.ts';
import { dataPaths } from './paths.ts';
import { timed } from './timed.ts';
import { finishBuild, startBuild } from '../db/builds.ts';
import { finishDeployment, startDeployment, type Step } from '../db/deployments.ts';
import { openBuildWorkspace, type BuildWorkspace } from '../build/workspace.ts';
import { SlugStore } from '../build/slug-store.ts';
import { assertIsolated } from '../sandbox/isolation.ts';
import { ScalariumError } from './errors.ts';
import type { BuildContext, Output, ReleaseSpec } from './types.ts';

export interface BuildResult {
  buildId: number;
  slug: string;
  spec: ReleaseSpec;
}

/** What a build may print (relayed to the pusher and kept): a build printing forever fills neither memory nor disk. */
export const MAX_BUILD_OUTPUT_BYTES = 32 * 1024 * 1024;

/** Output that also appends every line to a file (the kept build log), up to MAX_BUILD_OUTPUT_BYTES. */
function teeOutput(output: Output, file: string): Output & { note(text: string): void; close(): void } {
  const fd = fs.openSync(file, 'a', 0o600);
  let bytes = 0;
  let cut = false;
  const write = (text: string) => {
    output.line(text);
    fs.writeSync(fd, `${text}\n`);
  };
  return {
    line(text) {
      if (cut) return;
      bytes += Buffer.byteLength(text) + 1;
      if (bytes <= MAX_BUILD_OUTPUT_BYTES) return write(text);
      cut = true;
      write(` !     The build printed more than ${MAX_BUILD_OUTPUT_BYTES / 1024 / 1024} MiB; the rest of its output is not shown or kept.`);
    },
    /** The server's own verdict: shown even after the build's output was cut. */
    note: write,
    close: () => fs.closeSync(fd),
  };
}

/** Where a build's source comes from: a git commit, or an archive (`id` names it in the build record). */
export interface BuildSource {
  id: string;
  /** Puts the source into `ws.buildDir`, owned by the build's identity. */
  checkout(ws: BuildWorkspace): Promise<void>;
}

export async function buildSource(scalarium: Scalarium, app: AppRow, source: BuildSource, principal: Principal, output: Output): Promise<BuildResult> {
  const commit = source.id;
  const paths = dataPaths(scalarium);
  // Builds run the pushed repository's code: never where it could not be isolated.
  try {
    assertIsolated(scalarium.isolation);
  } catch (error) {
    throw new ScalariumError('isolation_unavailable', { reason: (error as Error).message });
  }
  const buildId = await startBuild(scalarium.db, app.id, commit, principal.user.name);
  await fsp.mkdir(paths.builds, { recursive: true, mode: 0o700 });
  const log = teeOutput(output, path.join(paths.builds, `${buildId}.log`));
  const timings: Record<string, number> = {};
  const phase = <T>(name: string, fn: () => Promise<T>): Promise<T> => timed(fn, (ms) => (timings[name] = ms));
  let buildpackName: string | null = null;
  let workspace: BuildWorkspace | undefined;
  try {
    const config = await getConfig(scalarium.db, app.id);
    const ws = await openBuildWorkspace(scalarium, app, buildId);
    workspace = ws;
    const context: BuildContext = {
      app, commit, buildDir: ws.buildDir, cacheDir: ws.cacheDir, envDir: ws.envDir, workspace: ws,
      config, output: log,
    };
    // A failure anywhere below is the build's: the catch at the end makes it build_failed.
    await phase('checkout', () => source.checkout(ws));
    await ws.writeEnv(config);
    const detection = await phase('detect', () => scalarium.hooks.detect.promise(context));
    if (!detection) {
      throw new ScalariumError('build_failed', { reason: 'no buildpack recognised this app (add a package.json, an index.html or a Procfile, or set BUILDPACK_URL)' });
    }
    buildpackName = detection.name;
    const builder = scalarium.hooks.build.get(detection.builder);
    if (!builder) throw new ScalariumError('build_failed', { reason: `no builder "${detection.builder}" is loaded` });
    await phase('compile', () => builder.promise(context, detection));
    const spec = await phase('release', () => scalarium.hooks.release.promise(
      { processTypes: {}, config, description: /^[0-9a-f]{40,64}$/.test(commit) ? `Deploy ${commit.slice(0, 7)}` : `Deploy ${commit}` },
      { app, buildDir: context.buildDir, build: context, detection },
    ));
    if (!Object.keys(spec.processTypes).length) {
      throw new ScalariumError('build_failed', { reason: 'no process types: add a Procfile (e.g. "web: node server.js") or a start script' });
    }
    log.line(`-----> Process types: ${Object.keys(spec.processTypes).join(', ')}`);
    log.line('-----> Compressing...');
    const slug = await phase('pack', () => new SlugStore(paths.slugs).pack(ws.buildDir));
    log.line(`       Done: ${(slug.bytes / 1024 / 1024).toFixed(1)}M`);
    await finishBuild(scalarium.db, buildId, { status: 'succeeded', buildpack: buildpackName, slug: slug.sha256, processTypes: spec.processTypes, timings });
    return { buildId, slug: slug.sha256, spec };
  } catch (error) {
    await finishBuild(scalarium.db, buildId, { status: 'failed', buildpack: buildpackName, slug: null, processTypes: {}, timings });
    const failure = error instanceof ScalariumError ? error : new ScalariumError('build_failed', { reason: (error as Error).message });
    log.note(` !     ${failure.message}`);
    throw failure;
  } finally {
    log.close();
    await workspace?.dispose();
  }
}

export interface DeployOptions {
  replace?: boolean;
  onlyTypes?: string[];
  formation?: Record<string, number>;
}

/** Rolls a release out through the deploy hook, recording the deployment. Throws deploy_failed. */
export async function deployRelease(scalarium: Scalarium, app: AppRow, release: Release, output: Output, options: DeployOptions = {}): Promise<void> {
  const deploymentId = await startDeployment(scalarium.db, app.id, release.version, scalarium.owner);
  const steps: Step[] = [];
  const formation = options.formation ?? defaultFormation(app.formation, release.processTypes);
  try {
    await scalarium.hooks.deploy.promise({
      app, release, formation, deploymentId, steps, output, replace: options.replace ?? false, onlyTypes: options.onlyTypes,
    });
    await finishDeployment(scalarium.db, deploymentId, 'succeeded', steps);
    await scalarium.hooks.deployed.promise({ app, release, deploymentId }).catch(() => {});
  } catch (error) {
    const reason = (error as Error).message;
    await finishDeployment(scalarium.db, deploymentId, 'failed', steps, reason);
    await scalarium.hooks.deployFailed.promise({ app, release, deploymentId, error: error as Error }).catch(() => {});
    throw error instanceof ScalariumError ? error : new ScalariumError('deploy_failed', { reason });
  }
}

/** The formation to run: the app's own, with web=1 for a new web type and 0 for others. */
export function defaultFormation(formation: Record<string, number>, processTypes: Record<string, string>): Record<string, number> {
  const result: Record<string, number> = {};
  for (const type of Object.keys(processTypes)) result[type] = formation[type] ?? (type === 'web' ? 1 : 0);
  return result;
}
