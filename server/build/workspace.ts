// Where a build works, outside the 0700 data dir:
//   <apps>/builds/<app>/              root, 0711          (the app's build area)
//     cache/                          build uid, 0700     (kept between builds: npm cache, …)
//     buildpacks/<id>/                root, 0755          (downloaded or copied buildpacks: read-only to builds)
//     work-<build id>-<random>/       root, 0711          (one build; removed when it ends, swept at start)
//       app/  home/  tmp/             build uid, 0700     (source → slug, HOME, TMPDIR)
//       buildpacks/                   root, 0711
//         <n>-<key>/                  build uid, 0755     (this build's linked copy of each buildpack: its `export` file)
//       env/                          build uid, 0500     (config vars, one 0400 file each)
// Every step of a build runs confined as the app's build uid (or in a sandbox), so install scripts
// of a pushed repository see this build's folders and nothing of the platform.
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Scalarium } from '../core/scalarium.ts';
import type { AppRow } from '../db/apps.ts';
import { confine, type ConfinedCommand, type UnixUser } from '../sandbox/confine.ts';
import { buildUser } from '../sandbox/identities.ts';
import { ownedDir, ownedFile, platformDir } from '../sandbox/dirs.ts';
import { removeTree } from '../sandbox/remove.ts';
import { findApp } from '../db/apps.ts';
import { ResourceGroup, sweepGroups } from '../sandbox/cgroups.ts';
import { bundleBuildpackScripts } from './buildpack-bundle.ts';
import { treeDigest } from './tree-digest.ts';
import { hostStack } from './stack.ts';

export interface BuildWorkspace {
  buildDir: string;
  cacheDir: string;
  envDir: string;
  homeDir: string;
  tmpDir: string;
  /** Downloaded and copied buildpacks of this app, read-only to its builds. */
  buildpacksDir: string;
  /** This build's own copies of its buildpacks (writable: a buildpack may write its `export` file). */
  stagedBuildpacksDir: string;
  /** The uid builds of this app run as (root servers only). */
  user?: UnixUser;
  /** argv confined to this build: its folders writable, `readable` (buildpacks) and the env dir read-only. */
  confine(argv: string[], readable?: string[], cwd?: string): ConfinedCommand;
  /** The whole environment of a build step: nothing inherited from the server. */
  env(extra?: Record<string, string>): Record<string, string>;
  writeEnv(config: Record<string, string>): Promise<void>;
  dispose(): Promise<void>;
}

export function buildsRoot(scalarium: Scalarium): string {
  return path.join(scalarium.config.appsDir, 'builds');
}

/** The built-in buildpacks, copied where build uids can read them (the clone may sit in /root). */
export function builtinBuildpacksDir(scalarium: Scalarium): string {
  return path.join(scalarium.config.appsDir, 'buildpacks');
}

export async function openBuildWorkspace(scalarium: Scalarium, app: AppRow, buildId: number): Promise<BuildWorkspace> {
  const { isolation } = scalarium;
  const user = isolation.mode === 'uid' ? buildUser(scalarium.config.appUids, app.uid_index) : undefined;
  const appRoot = path.join(buildsRoot(scalarium), app.name);
  await platformDir(scalarium.config.appsDir, 0o711);
  await platformDir(buildsRoot(scalarium), 0o711);
  await platformDir(appRoot, 0o711);
  const cacheDir = path.join(appRoot, 'cache');
  await ownedDir(cacheDir, user, 0o700);
  const buildpacksDir = path.join(appRoot, 'buildpacks');
  await platformDir(buildpacksDir, 0o755);
  const work = path.join(appRoot, `work-${buildId}-${crypto.randomBytes(4).toString('hex')}`);
  await platformDir(work, 0o711);
  const [buildDir, homeDir, tmpDir, envDir] = ['app', 'home', 'tmp', 'env'].map((d) => path.join(work, d)) as [string, string, string, string];
  for (const dir of [buildDir, homeDir, tmpDir, envDir]) await ownedDir(dir, user, 0o700);
  const stagedBuildpacksDir = path.join(work, 'buildpacks');
  await platformDir(stagedBuildpacksDir, 0o711);
  const sandboxed = Boolean(isolation.bwrap);
  // Every step of the build counts against one group: the build's limits, and its leftovers killed.
  const { host } = scalarium.cgroups;
  let group: ResourceGroup | undefined;
  try {
    if (host) group = await ResourceGroup.create(host, `${buildGroupPrefix(scalarium)}.${app.name}-${buildId}`, scalarium.config.buildLimits);
  } catch (error) {
    await removeTree(work, { owner: user, setpriv: isolation.setpriv });
    throw new Error(`could not set the build's resource limits: ${(error as Error).message}`);
  }
  return {
    buildDir, cacheDir, envDir, homeDir, tmpDir, buildpacksDir, stagedBuildpacksDir, ...(user ? { user } : {}),
    confine: (argv, readable = [], cwd = buildDir) => confine(isolation, {
      user, writable: [buildDir, cacheDir, homeDir, tmpDir, stagedBuildpacksDir], readable: [envDir, ...readable],
      hidden: [scalarium.config.dataDir, scalarium.config.appsDir], cwd, ephemeral: true,
      ...(group ? { cgroupProcs: group.procsFiles } : {}),
    }, argv),
    env: (extra = {}) => ({
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: homeDir,
      TMPDIR: sandboxed ? '/tmp' : tmpDir,
      LANG: 'C.UTF-8',
      TERM: 'xterm-256color',
      STACK: hostStack(),
      ...extra,
    }),
    async writeEnv(config) {
      for (const [key, value] of Object.entries(config)) await ownedFile(path.join(envDir, key), value, user, 0o400);
      await fsp.chmod(envDir, 0o500);
    },
    // Whatever the build left running (a daemon started by an install script) dies first: builds
    // of an app run one at a time, so nothing else runs as its build uid now.
    dispose: async () => {
      await group?.remove();
      await removeTree(work, { owner: user, setpriv: isolation.setpriv, killOwner: true });
    },
  };
}

/** The build uid of an app, when we are root and the app exists. */
async function buildUidOf(scalarium: Scalarium, app: string | AppRow): Promise<UnixUser | undefined> {
  if (scalarium.isolation.mode !== 'uid') return undefined;
  const row = typeof app === 'string' ? await findApp(scalarium.db, app) : app;
  return row ? buildUser(scalarium.config.appUids, row.uid_index) : undefined;
}

/**
 * The name prefix of this server's build groups. Build ids count per database, so two servers on one
 * host (two data dirs; tests run many) would otherwise create, and remove, each other's groups.
 */
function buildGroupPrefix(scalarium: Scalarium): string {
  return `b${crypto.createHash('sha256').update(path.resolve(scalarium.config.dataDir)).digest('hex').slice(0, 12)}`;
}

/** Build folders a crash left behind hold config vars in plaintext: they go at start (and the build's processes with its group). */
export async function sweepBuildWorkspaces(scalarium: Scalarium): Promise<number> {
  const { host } = scalarium.cgroups;
  if (host) await sweepGroups(host, buildGroupPrefix(scalarium));
  let swept = 0;
  for (const app of await fsp.readdir(buildsRoot(scalarium)).catch(() => [] as string[])) {
    const owner = await buildUidOf(scalarium, app);
    for (const entry of await fsp.readdir(path.join(buildsRoot(scalarium), app)).catch(() => [] as string[])) {
      if (!entry.startsWith('work-')) continue;
      await removeTree(path.join(buildsRoot(scalarium), app, entry), { owner, setpriv: scalarium.isolation.setpriv, killOwner: true });
      swept++;
    }
  }
  return swept;
}

/** An app's build cache and buildpacks, removed with the app (a new app of that name starts clean). */
export async function removeAppBuildFiles(scalarium: Scalarium, app: AppRow): Promise<void> {
  const owner = await buildUidOf(scalarium, app);
  await removeTree(path.join(buildsRoot(scalarium), app.name), { owner, setpriv: scalarium.isolation.setpriv, killOwner: true });
}

/**
 * Empties an app's build cache (every buildpack's CACHE_DIR): the next build starts as the first
 * did. False when there was none. Callers hold the app's lock, so no build is using it.
 */
export async function clearBuildCache(scalarium: Scalarium, app: AppRow): Promise<boolean> {
  const cacheDir = path.join(buildsRoot(scalarium), app.name, 'cache');
  if (!fs.existsSync(cacheDir)) return false;
  await removeTree(cacheDir, { owner: await buildUidOf(scalarium, app), setpriv: scalarium.isolation.setpriv });
  return true;
}

/**
 * Copies a buildpack directory to `target`, owned by root and readable (not writable) by builds;
 * `prepare` may change the copy before it is published.
 */
export async function publishBuildpack(source: string, target: string, prepare?: (copy: string) => Promise<void>): Promise<void> {
  const part = `${target}.part-${crypto.randomBytes(4).toString('hex')}`;
  await fsp.cp(source, part, { recursive: true, dereference: false, verbatimSymlinks: true, errorOnExist: false });
  await prepare?.(part);
  await makeReadOnlyForOthers(part);
  await removeTree(target);
  await fsp.rename(part, target);
}

/** Directories 0755, files 0644 (0755 if executable), owned by root; links left as they are. */
export async function makeReadOnlyForOthers(dir: string): Promise<void> {
  const isRoot = process.getuid?.() === 0;
  const walk = async (p: string): Promise<void> => {
    const stat = await fsp.lstat(p);
    if (stat.isSymbolicLink()) return;
    if (isRoot && (stat.uid !== 0 || stat.gid !== 0)) await fsp.lchown(p, 0, 0);
    if (stat.isDirectory()) {
      await fsp.chmod(p, 0o755);
      for (const e of await fsp.readdir(p)) await walk(path.join(p, e));
    } else if (stat.isFile()) {
      await fsp.chmod(p, stat.mode & 0o111 ? 0o755 : 0o644);
    } else {
      await fsp.rm(p, { force: true }); // no devices or FIFOs in a buildpack
    }
  };
  await walk(dir);
}

/**
 * At start: the built-in buildpacks, as the code has them, where build uids can read them. A copy
 * published from the same sources (and lockfile, which pins what helper scripts bundle) is kept:
 * its digest is beside it, outside what builds see.
 */
export async function installBuiltinBuildpacks(scalarium: Scalarium, sourceDir: string, names: string[]): Promise<void> {
  const target = builtinBuildpacksDir(scalarium);
  await platformDir(scalarium.config.appsDir, 0o711);
  await platformDir(target, 0o755);
  const lockfile = path.join(sourceDir, '..', 'package-lock.json');
  for (const name of names) {
    const source = path.join(sourceDir, name);
    if (!fs.existsSync(source)) continue;
    const published = path.join(target, name);
    const stamp = `${published}.source-sha256`;
    const digest = await treeDigest(source, [lockfile]);
    if (fs.existsSync(published) && (await fsp.readFile(stamp, 'utf8').catch(() => '')) === digest) continue;
    await fsp.rm(stamp, { force: true });
    await publishBuildpack(source, published, (copy) => bundleBuildpackScripts(source, copy));
    await fsp.writeFile(stamp, digest, { mode: 0o644 });
  }
}
