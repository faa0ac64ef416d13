// Test support for the CLI tests: sandboxes, the in-process CLI runner, real git repositories, and
// `loggedIn`, a sandbox logged in to a real Scalarium server (test/helpers/harness.ts: the real API
// in this process, on fake null-provider instances). Not a test file itself (ava runs *.test.ts only).
import { until as waitUntil, type Truthy } from '../test/helpers/until.ts';
import test, { type ExecutionContext } from 'ava';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTestScalarium, type TestScalarium } from '../test/helpers/harness.ts';
import { run, type CliIO } from './main.ts';

export const execFileAsync = promisify(execFile);
export const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
export const VERSION = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** A token of the right shape that no server issued. */
export const UNKNOWN_TOKEN = 'scl_0123456789abcdefghijklmnopqrst_a1b2c3';

/** Timestamps as the CLI prints them, and one of the same width to put in their place. */
const PRINTED_DATE = /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/g;
const SOME_DATE = 'YYYY-MM-DD hh:mm:ss UTC';
export const withoutDates = (text: string) => text.replace(PRINTED_DATE, SOME_DATE);

export interface Sandbox {
  dir: string;
  env: Record<string, string | undefined>;
}

/** A temp dir used as HOME and XDG_CONFIG_HOME, with an environment that leaks nothing from ours. */
export async function sandbox(t: ExecutionContext, extra: Record<string, string | undefined> = {}): Promise<Sandbox> {
  const dir = await mkdtemp(join(tmpdir(), 'scalarium-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'home'));
  await mkdir(join(dir, 'work'));
  const env = {
    PATH: process.env.PATH,
    HOME: join(dir, 'home'),
    XDG_CONFIG_HOME: join(dir, 'config'),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CEILING_DIRECTORIES: dir, // never find a repository above the sandbox
    ...extra,
  };
  return { dir, env };
}

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env: Record<string, string | undefined>;
  cwd: string;
  signal?: AbortSignal;
  stderrTTY?: boolean;
  /** Called after every stdout write with everything written so far. */
  onStdout?: (all: string) => void;
  /** Called after every stderr write with everything written so far. */
  onStderr?: (all: string) => void;
  /** What the CLI reads on stdin (git-credential, login --token -). */
  stdin?: string;
}

function collector(onWrite?: (all: string) => void) {
  let text = '';
  return {
    write(chunk: string | Uint8Array) {
      text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      onWrite?.(text);
      return true;
    },
    get text() {
      return text;
    },
  };
}

export async function cli(args: string[], options: CliOptions): Promise<Result> {
  const stdout = collector(options.onStdout);
  const stderr = collector(options.onStderr);
  const io: CliIO = {
    stdout,
    stderr: Object.assign(stderr, { isTTY: options.stderrTTY ?? false }),
    env: options.env,
    cwd: options.cwd,
    signal: options.signal,
    ...(options.stdin !== undefined ? { stdin: Readable.from([options.stdin]) } : {}),
  };
  const code = await run(args, io);
  return { code, stdout: stdout.text, stderr: stderr.text };
}

export async function git(cwd: string, env: Record<string, string | undefined>, ...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('git', args, { cwd, env });
  return stdout.trim();
}

export async function gitRepo(t: ExecutionContext, box: Sandbox, name = 'repo'): Promise<string> {
  const dir = join(box.dir, name);
  await mkdir(dir);
  await git(dir, box.env, 'init', '--quiet');
  return dir;
}

/** Resolves once `check` returns something truthy; fails after `timeoutMs` saying what it waited for. */
export function until<T>(what: string, check: () => T | Promise<T>, timeoutMs = 10_000): Promise<Truthy<T>> {
  return waitUntil(what, check, { timeoutMs });
}

/** A real server for this test (closed at its end). */
export async function testServer(t: ExecutionContext): Promise<TestScalarium> {
  const server = await createTestScalarium();
  t.teardown(() => server.close());
  return server;
}

/**
 * One server for the tests of a file that only read (each test still gets a sandbox of its own):
 * made on first use, closed when the file is done. Booting and seeding a server per test is what
 * costs; a test that changes anything must not use this one.
 */
export function sharedServer(seed: (server: TestScalarium) => Promise<void> = async () => {}) {
  let started: Promise<TestScalarium> | undefined;
  test.after.always(async () => {
    await (await started?.catch(() => undefined))?.close();
  });
  return () => (started ??= createTestScalarium().then(async (server) => {
    await seed(server);
    return server;
  }));
}

/** The server's answer, which must have the expected status. */
export async function must<T = any>(server: TestScalarium, status: number, method: string, path: string, body?: unknown): Promise<T> {
  const answer = await server.api<T>(method, path, body);
  if (answer.status !== status) throw new Error(`${method} ${path}: expected ${status}, got ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** A sandbox logged in to a real server through the environment (SCALARIUM_SERVER, SCALARIUM_TOKEN). */
export async function loggedIn(t: ExecutionContext, options: { server?: TestScalarium; token?: string } = {}) {
  const server = options.server ?? (await testServer(t));
  const box = await sandbox(t, { SCALARIUM_SERVER: server.url, SCALARIUM_TOKEN: options.token ?? server.token });
  return { server, url: server.url, ...box, cwd: join(box.dir, 'work') };
}

const COMMIT = '1a2b3c4d5e6f7a8b9c0d1a2b3c4d5e6f7a8b9c0d';
export const SHOP_CONFIG = { ZED: 'last', DATABASE_URL: 'postgres://db/shop?sslmode=require', GREETING: "it's here" };

/**
 * The apps most tests use, made through the real API: "blog" with no release, and "shop" with two
 * releases (v1 a deploy of COMMIT, v2 "Set GREETING config vars"), SHOP_CONFIG and web=2 worker=1.
 */
export async function shopAndBlog(server: TestScalarium): Promise<void> {
  await must(server, 201, 'POST', '/api/apps', { name: 'shop' });
  await must(server, 201, 'POST', '/api/apps', { name: 'blog' });
  const { GREETING, ...early } = SHOP_CONFIG;
  await must(server, 200, 'PATCH', '/api/apps/shop/config', early);
  await server.deployFakeRelease('shop', { processTypes: { web: 'node server.js', worker: 'node worker.js' }, commit: COMMIT });
  await must(server, 200, 'PATCH', '/api/apps/shop/config', { GREETING });
  await must(server, 200, 'PATCH', '/api/apps/shop/formation', { web: 2, worker: 1 });
}
