// Runs Heroku classic buildpacks: bin/detect BUILD_DIR, bin/compile BUILD_DIR CACHE_DIR ENV_DIR,
// bin/release BUILD_DIR. compile runs in a pseudo-terminal (node-pty) so that colours and progress
// bars come through to the person pushing.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pty from 'node-pty';
import YAML from 'yaml';
import type { Output } from '../core/types.ts';

const execFileAsync = promisify(execFile);

export const BUILTIN_DIR = fileURLToPath(new URL('../../buildpacks/', import.meta.url));
/** Tried in this order; the first whose bin/detect succeeds builds the app. */
export const BUILTIN_ORDER = ['nodejs', 'static', 'procfile'];

export interface Buildpack { name: string; dir: string }

export function builtin(name: string): Buildpack {
  return { name, dir: path.join(BUILTIN_DIR, name) };
}

/** The environment buildpacks run with: a clean one, never the server's own secrets. */
function buildEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    LANG: 'C.UTF-8',
    TERM: 'xterm-256color',
    STACK: 'scalarium-local',
    ...extra,
  };
}

export async function detect(buildpack: Buildpack, buildDir: string): Promise<string | undefined> {
  try {
    const { stdout } = await execFileAsync(path.join(buildpack.dir, 'bin', 'detect'), [buildDir], { env: buildEnv(), timeout: 30_000 });
    return stdout.trim().split('\n')[0] || buildpack.name;
  } catch {
    return undefined;
  }
}

/** Runs bin/compile in a pty, relaying each output line; throws with the exit code on failure. */
export function compile(buildpack: Buildpack, dirs: { build: string; cache: string; env: string }, output: Output, timeoutMs = 15 * 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const term = pty.spawn(path.join(buildpack.dir, 'bin', 'compile'), [dirs.build, dirs.cache, dirs.env], {
      name: 'xterm-256color', cols: 120, rows: 40, cwd: dirs.build, env: buildEnv(),
    });
    let pending = '';
    term.onData((data) => {
      pending += data.replace(/\r\n/g, '\n');
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        output.line(pending.slice(0, nl).replace(/\r/g, ''));
        pending = pending.slice(nl + 1);
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
export async function release(buildpack: Buildpack, buildDir: string): Promise<Record<string, string>> {
  const bin = path.join(buildpack.dir, 'bin', 'release');
  if (!fs.existsSync(bin)) return {};
  const { stdout } = await execFileAsync(bin, [buildDir], { env: buildEnv(), timeout: 30_000 });
  const parsed = YAML.parse(stdout) as { default_process_types?: Record<string, string> } | null;
  const types = parsed?.default_process_types ?? {};
  return Object.fromEntries(Object.entries(types).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
}

/**
 * Resolves an app's own buildpack list (BUILDPACK_URL or .buildpacks lines): built-in names,
 * absolute local directories, or http(s) tarball URLs downloaded into the cache.
 */
export async function resolveBuildpack(spec: string, cacheDir: string): Promise<Buildpack> {
  const value = spec.trim();
  if (BUILTIN_ORDER.includes(value)) return builtin(value);
  if (value.startsWith('/')) {
    const dir = path.resolve(value);
    if (!fs.existsSync(path.join(dir, 'bin', 'compile'))) throw new Error(`buildpack ${value} has no bin/compile`);
    return { name: path.basename(dir), dir };
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`buildpack "${value.slice(0, 100)}" is neither a built-in name, an absolute path nor a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`buildpack URL must be http(s): ${url.protocol}`);
  const dir = path.join(cacheDir, 'buildpacks', crypto.createHash('sha256').update(url.href).digest('hex').slice(0, 16));
  if (!fs.existsSync(path.join(dir, 'bin', 'compile'))) {
    const res = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(60_000) }).catch((error: Error & { cause?: Error }) => {
      throw new Error(`could not download buildpack ${url.href}: ${error.cause?.message ?? error.message}`);
    });
    if (!res.ok) throw new Error(`could not download buildpack ${url.href}: HTTP ${res.status}`);
    await fsp.rm(dir, { recursive: true, force: true });
    await fsp.mkdir(dir, { recursive: true });
    const archive = `${dir}.tgz`;
    await fsp.writeFile(archive, Buffer.from(await res.arrayBuffer()));
    try {
      await execFileAsync('tar', ['-xzf', archive, '-C', dir, '--no-same-owner']);
    } finally {
      await fsp.rm(archive, { force: true });
    }
    // Tarballs from forges wrap everything in one top-level folder.
    const entries = await fsp.readdir(dir);
    if (!fs.existsSync(path.join(dir, 'bin')) && entries.length === 1) {
      const inner = path.join(dir, entries[0]!);
      for (const e of await fsp.readdir(inner)) await fsp.rename(path.join(inner, e), path.join(dir, e));
      await fsp.rmdir(inner);
    }
    if (!fs.existsSync(path.join(dir, 'bin', 'compile'))) throw new Error(`buildpack ${url.href} has no bin/compile`);
  }
  return { name: url.pathname.split('/').filter(Boolean).pop() ?? url.host, dir };
}

/** Writes config vars as ENV_DIR files (mode 0600), one per key. */
export async function writeEnvDir(dir: string, config: Record<string, string>): Promise<void> {
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  for (const [key, value] of Object.entries(config)) {
    await fsp.writeFile(path.join(dir, key), value, { mode: 0o600 });
  }
}
