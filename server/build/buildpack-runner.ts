// Runs Heroku classic buildpacks: bin/detect BUILD_DIR, bin/compile BUILD_DIR CACHE_DIR ENV_DIR,
// bin/release BUILD_DIR. compile runs in a pseudo-terminal (node-pty) so that colours and progress
// bars come through to the person pushing. Every step runs confined to the build's workspace, as
// the app's build uid: a buildpack (and what it runs, such as npm install scripts) is untrusted.
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pty from 'node-pty';
import YAML from 'yaml';
import type { Output } from '../core/types.ts';
import type { BuildWorkspace } from './workspace.ts';
import { makeReadOnlyForOthers, publishBuildpack } from './workspace.ts';
import { ownedDir } from '../sandbox/dirs.ts';
import { runConfined } from '../sandbox/run.ts';
import { downloadTo, type OutboundPolicy } from '../net/outbound.ts';
import { extractArchive } from '../archive/extract.ts';


/** The buildpacks that ship with Scalarium (copied at start to where build uids can read them). */
export const BUILTIN_SOURCE_DIR = fileURLToPath(new URL('../../buildpacks/', import.meta.url));
/** Tried in this order; the first whose bin/detect succeeds builds the app. */
export const BUILTIN_ORDER = ['nodejs', 'static', 'procfile'];
/** A buildpack tarball is code and scripts, not an app: small limits. */
const BUILDPACK_LIMITS = { maxBytes: 256 * 1024 * 1024, maxEntries: 20_000 };
const BUILDPACK_DOWNLOAD = { maxBytes: 128 * 1024 * 1024, timeoutMs: 120_000 };

export interface Buildpack { name: string; dir: string }

/** Where buildpacks may come from, as the operator set it up. */
export interface BuildpackSources {
  /** The installed built-ins: <dir>/<name>. */
  builtinDir: string;
  outbound: OutboundPolicy;
  /** Server directories under which `BUILDPACK_URL=/path` may point (SCALARIUM_BUILDPACK_DIRS). */
  localRoots: string[];
}

export function builtin(sources: BuildpackSources, name: string): Buildpack {
  return { name, dir: path.join(sources.builtinDir, name) };
}

export async function detect(buildpack: Buildpack, ws: BuildWorkspace): Promise<string | undefined> {
  try {
    const cmd = ws.confine([path.join(buildpack.dir, 'bin', 'detect'), ws.buildDir], [buildpack.dir]);
    const { code, stdout } = await runConfined(cmd, ws.env(), { timeoutMs: 30_000 });
    if (code !== 0) return undefined;
    return stdout.trim().split('\n')[0]?.slice(0, 100) || buildpack.name;
  } catch {
    return undefined;
  }
}

/** Runs bin/compile in a pty, relaying each output line; throws with the exit code on failure. */
export async function compile(buildpack: Buildpack, ws: BuildWorkspace, output: Output, timeoutMs = 15 * 60_000): Promise<void> {
  const cache = path.join(ws.cacheDir, safeSegment(buildpack.name));
  await ownedDir(cache, ws.user, 0o700);
  const cmd = ws.confine([path.join(buildpack.dir, 'bin', 'compile'), ws.buildDir, cache, ws.envDir], [buildpack.dir]);
  return new Promise((resolve, reject) => {
    const term = pty.spawn(cmd.file, cmd.args, { name: 'xterm-256color', cols: 120, rows: 40, cwd: cmd.cwd, env: ws.env() });
    let pending = '';
    term.onData((data) => {
      pending += data.replace(/\r\n/g, '\n');
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        output.line(pending.slice(0, nl).replace(/\r/g, ''));
        pending = pending.slice(nl + 1);
      }
      // A line without end must not grow without bound (a progress bar, or a hostile build).
      if (pending.length > 64 * 1024) {
        output.line(pending.replace(/\r/g, ''));
        pending = '';
      }
    });
    const timer = setTimeout(() => term.kill('SIGKILL'), timeoutMs);
    term.onExit(({ exitCode, signal }) => {
      clearTimeout(timer);
      if (pending) output.line(pending.replace(/\r/g, ''));
      if (exitCode === 0) resolve();
      else reject(new Error(signal ? `${buildpack.name} compile was killed (signal ${signal})` : `${buildpack.name} compile exited with code ${exitCode}`));
    });
  });
}

/** bin/release's default_process_types (empty when the buildpack proposes none). */
export async function release(buildpack: Buildpack, ws: BuildWorkspace): Promise<Record<string, string>> {
  const bin = path.join(buildpack.dir, 'bin', 'release');
  if (!fs.existsSync(bin)) return {};
  const cmd = ws.confine([bin, ws.buildDir], [buildpack.dir]);
  const { code, stdout, stderr } = await runConfined(cmd, ws.env(), { timeoutMs: 30_000 });
  if (code !== 0) throw new Error(`${buildpack.name} bin/release failed (${code === null ? 'killed' : `exit ${code}`}): ${stderr.trim().slice(0, 300)}`);
  const parsed = YAML.parse(stdout) as { default_process_types?: Record<string, string> } | null;
  const types = parsed?.default_process_types ?? {};
  return Object.fromEntries(Object.entries(types).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
}

/**
 * Resolves one of the app's own buildpacks (a BUILDPACK_URL or .buildpacks line): a built-in name,
 * a directory on the server below one the operator allowed, or an http(s) tarball URL, downloaded
 * through the outbound guard and unpacked safely into the app's buildpack folder.
 */
export async function resolveBuildpack(spec: string, ws: BuildWorkspace, sources: BuildpackSources): Promise<Buildpack> {
  const value = spec.trim();
  if (BUILTIN_ORDER.includes(value)) return builtin(sources, value);
  if (value.startsWith('/')) return localBuildpack(value, ws, sources);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`buildpack "${value.slice(0, 100)}" is neither a built-in name, an absolute path nor a URL (built-ins: ${BUILTIN_ORDER.join(', ')})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`buildpack URL must be http(s), not ${url.protocol.slice(0, 20)}`);
  const name = safeSegment(url.pathname.split('/').filter(Boolean).pop()?.replace(/\.(tgz|tar\.gz|tar)$/, '') ?? url.host);
  const dir = path.join(ws.buildpacksDir, `url-${crypto.createHash('sha256').update(url.href).digest('hex').slice(0, 16)}`);
  if (fs.existsSync(path.join(dir, 'bin', 'compile'))) return { name, dir };
  const archive = path.join(ws.buildpacksDir, `.download-${crypto.randomBytes(6).toString('hex')}`);
  const part = `${dir}.part-${crypto.randomBytes(4).toString('hex')}`;
  try {
    await downloadTo(url.href, archive, sources.outbound, BUILDPACK_DOWNLOAD).catch((error: Error) => {
      throw new Error(`could not download buildpack: ${error.message}`);
    });
    await fsp.mkdir(part, { mode: 0o700 });
    await extractArchive(archive, part, { ...BUILDPACK_LIMITS, stripSingleTopFolder: true }).catch((error: Error) => {
      throw new Error(`buildpack ${url.href.slice(0, 200)}: ${error.message}`);
    });
    if (!isFile(path.join(part, 'bin', 'compile'))) throw new Error(`buildpack ${url.href.slice(0, 200)} has no bin/compile`);
    await makeReadOnlyForOthers(part);
    await fsp.rm(dir, { recursive: true, force: true });
    await fsp.rename(part, dir);
  } finally {
    await fsp.rm(archive, { force: true });
    await fsp.rm(part, { recursive: true, force: true });
  }
  return { name, dir };
}

/** A buildpack directory on the server: operators allow the folders; it is copied for the build. */
async function localBuildpack(value: string, ws: BuildWorkspace, sources: BuildpackSources): Promise<Buildpack> {
  const dir = path.resolve(value);
  const allowed = sources.localRoots.some((root) => dir === root || dir.startsWith(`${root}${path.sep}`));
  if (!allowed) {
    throw new Error(`buildpack ${value.slice(0, 100)}: buildpacks from the server's own directories are for operators; they allow folders with SCALARIUM_BUILDPACK_DIRS (or use a built-in name or an https URL)`);
  }
  // Real paths only: a link inside an allowed folder must not lead out of it.
  const real = await fsp.realpath(dir).catch(() => undefined);
  if (!real || !sources.localRoots.some((root) => real === root || real.startsWith(`${root}${path.sep}`)) || !isFile(path.join(real, 'bin', 'compile'))) {
    throw new Error(`buildpack ${value.slice(0, 100)} has no bin/compile`);
  }
  const copy = path.join(ws.buildpacksDir, `path-${crypto.createHash('sha256').update(real).digest('hex').slice(0, 16)}`);
  await publishBuildpack(real, copy);
  return { name: safeSegment(path.basename(real)), dir: copy };
}

function isFile(p: string): boolean {
  return fs.lstatSync(p, { throwIfNoEntry: false })?.isFile() ?? false;
}

/** A buildpack's name as one harmless path segment (it names its cache folder). */
function safeSegment(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_').slice(0, 60);
  return cleaned || 'buildpack';
}
