// Runs Heroku classic buildpacks: bin/detect BUILD_DIR, bin/compile BUILD_DIR CACHE_DIR ENV_DIR,
// bin/release BUILD_DIR. compile runs in a pseudo-terminal (node-pty) so that colours and progress
// bars come through to the person pushing. Every step runs confined to the build's workspace, as
// the app's build uid: a buildpack (and what it runs, such as npm install scripts) is untrusted.
// Where the buildpacks come from is buildpack-resolve.ts; docs/buildpacks.md is the contract.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pty from 'node-pty';
import YAML from 'yaml';
import type { Output } from '../core/types.ts';
import type { BuildWorkspace } from './workspace.ts';
import { ownedDir } from '../sandbox/dirs.ts';
import { runConfined } from '../sandbox/run.ts';
import { isValidConfigKey } from '../core/names.ts';
import type { OutboundPolicy } from '../net/outbound.ts';

/** The buildpacks that ship with Scalarium (copied at start to where build uids can read them). */
export const BUILTIN_SOURCE_DIR = fileURLToPath(new URL('../../buildpacks/', import.meta.url));
/** Tried in this order; the first whose bin/detect succeeds builds the app. */
export const BUILTIN_ORDER = ['nodejs', 'static', 'procfile'];

export interface Buildpack {
  /** A short name for messages when bin/detect names nothing. */
  name: string;
  /** As the app named it (built-in name, URL, path): how messages refer to it. */
  source: string;
  /** The directory it runs from. */
  dir: string;
  /** One path segment, the same for every build of this buildpack: its CACHE_DIR's name. */
  cacheKey: string;
}

/** Where buildpacks may come from, as the operator set it up. */
export interface BuildpackSources {
  /** The installed built-ins: <dir>/<name>. */
  builtinDir: string;
  outbound: OutboundPolicy;
  /** Server directories under which `BUILDPACK_URL=/path` may point (SCALARIUM_BUILDPACK_DIRS). */
  localRoots: string[];
}

export function builtin(sources: BuildpackSources, name: string): Buildpack {
  return { name, source: name, dir: path.join(sources.builtinDir, name), cacheKey: name };
}

export interface DetectResult {
  detected: boolean;
  /** The first line bin/detect printed (or the buildpack's name). */
  name: string;
  /** Why not, when not: the exit status and the first lines it printed. */
  reason?: string;
}

export async function detect(buildpack: Buildpack, ws: BuildWorkspace): Promise<DetectResult> {
  const bin = path.join(buildpack.dir, 'bin', 'detect');
  if (!isFile(bin)) return { detected: false, name: buildpack.name, reason: 'it has no bin/detect' };
  try {
    const { code, stdout, output, timedOut } = await runConfined(ws.confine([bin, ws.buildDir], [buildpack.dir]), ws.env(), { timeoutMs: 30_000, maxOutput: 64 * 1024 });
    const name = oneLine(stdout.trim().split('\n')[0] ?? '').slice(0, 100) || buildpack.name;
    if (code === 0) return { detected: true, name };
    const said = output.trim().split('\n').slice(0, 3).map(oneLine).join(' / ').slice(0, 300);
    const status = timedOut ? 'did not answer within 30 s' : code === null ? 'was killed' : `exited with code ${code}`;
    return { detected: false, name, reason: `its bin/detect ${status}${said ? `: ${said}` : ''}` };
  } catch (error) {
    return { detected: false, name: buildpack.name, reason: `its bin/detect could not run (${(error as Error).message})` };
  }
}

/** The build uid's cache for this buildpack, kept between builds of the app (created when missing). */
export async function cacheDirFor(buildpack: Buildpack, ws: BuildWorkspace): Promise<string> {
  const dir = path.join(ws.cacheDir, buildpack.cacheKey);
  await ownedDir(dir, ws.user, 0o700);
  return dir;
}

export interface CompileOptions {
  /** Variables on top of the build's environment (SOURCE_VERSION). */
  env?: Record<string, string>;
  /** `export` files of the buildpacks that ran before, sourced in order before bin/compile starts. */
  exports?: string[];
  timeoutMs?: number;
}

// Sources the export files named first, then becomes bin/compile: a fixed script, values as arguments.
const SOURCE_EXPORTS = 'n="$1"; shift; while [ "$n" -gt 0 ]; do . "$1"; shift; n=$((n - 1)); done; exec "$@"';

/** Runs bin/compile in a pty, relaying each output line; throws with the exit code on failure. */
export async function compile(buildpack: Buildpack, ws: BuildWorkspace, output: Output, options: CompileOptions = {}): Promise<void> {
  const cache = await cacheDirFor(buildpack, ws);
  const exports = options.exports ?? [];
  const argv = [path.join(buildpack.dir, 'bin', 'compile'), ws.buildDir, cache, ws.envDir];
  const wrapped = exports.length ? ['bash', '-c', SOURCE_EXPORTS, 'scalarium-compile', String(exports.length), ...exports, ...argv] : argv;
  const cmd = ws.confine(wrapped, [buildpack.dir]);
  const timeoutMs = options.timeoutMs ?? 15 * 60_000;
  return new Promise((resolve, reject) => {
    const term = pty.spawn(cmd.file, cmd.args, { name: 'xterm-256color', cols: 120, rows: 40, cwd: cmd.cwd, env: ws.env(options.env) });
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
      else reject(new Error(signal ? `${buildpack.source} compile was killed (signal ${signal})` : `${buildpack.source} compile exited with code ${exitCode}`));
    });
  });
}

export interface ReleaseInfo {
  defaultProcessTypes: Record<string, string>;
  /** Default config vars of the release: the app's own config vars win over them. */
  configVars: Record<string, string>;
}

/** What bin/release proposes (nothing when the buildpack has no bin/release). */
export async function release(buildpack: Buildpack, ws: BuildWorkspace): Promise<ReleaseInfo> {
  const bin = path.join(buildpack.dir, 'bin', 'release');
  if (!fs.existsSync(bin)) return { defaultProcessTypes: {}, configVars: {} };
  const cmd = ws.confine([bin, ws.buildDir], [buildpack.dir]);
  const { code, stdout, stderr } = await runConfined(cmd, ws.env(), { timeoutMs: 30_000 });
  if (code !== 0) throw new Error(`${buildpack.source} bin/release failed (${code === null ? 'killed' : `exit ${code}`}): ${stderr.trim().slice(0, 300)}`);
  let parsed: unknown;
  try {
    parsed = YAML.parse(stdout);
  } catch (error) {
    throw new Error(`${buildpack.source} bin/release printed no valid YAML (${(error as Error).message.split('\n')[0]}); it must print e.g. "---\\ndefault_process_types:\\n  web: node server.js"`);
  }
  const doc = (parsed && typeof parsed === 'object' ? parsed : {}) as { default_process_types?: unknown; config_vars?: unknown };
  return { defaultProcessTypes: stringMap(doc.default_process_types), configVars: configVarsOf(buildpack, doc.config_vars) };
}

function stringMap(value: unknown): Record<string, string> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
}

/** config_vars as config vars: names as config:set takes them, scalar values as text. */
function configVarsOf(buildpack: Buildpack, value: unknown): Record<string, string> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return {};
  const vars: Record<string, string> = {};
  for (const [key, raw] of Object.entries(value)) {
    if (!isValidConfigKey(key)) throw new Error(`${buildpack.source} bin/release proposes config var ${JSON.stringify(String(key).slice(0, 80))}, which is not a valid config var name`);
    if (raw === null || typeof raw === 'object') throw new Error(`${buildpack.source} bin/release proposes config var ${key} with a value that is not text`);
    const text = String(raw);
    if (text.includes('\0') || text.length > 32 * 1024) throw new Error(`${buildpack.source} bin/release proposes config var ${key} with a value that is too long or contains a NUL byte`);
    vars[key] = text;
  }
  return vars;
}

function oneLine(text: string): string {
  return text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/[\x00-\x1f\x7f]/g, ' ').trim();
}

export function isFile(p: string): boolean {
  return fs.lstatSync(p, { throwIfNoEntry: false })?.isFile() ?? false;
}

/** A name as one harmless path segment. */
export function safeSegment(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_').slice(0, 60);
  return cleaned || 'buildpack';
}
