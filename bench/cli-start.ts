// Start-up of the programs Scalarium runs often: the `scalarium` CLI, and the agent and router of
// every local instance. Each runs compiled (bin/scalarium.js → dist/cli.mjs; the instance program
// from server/agent/bundle.ts, what the local provider starts) and, for comparison, from TypeScript
// compiled at run time by tsx (what both did before). Prints figures; no thresholds.
//
//   node --import tsx bench/cli-start.ts [--runs 10]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WebSocketServer } from 'ws';
import { agentBundle } from '../server/agent/bundle.ts';
import { LoopbackGuard } from '../server/net/loopback-guard.ts';
import { agentGroupPrefix } from '../server/sandbox/cgroups.ts';
import { startTestServer, ROOT, type TestServer } from '../test/helpers/server.ts';
import { fmt, intArg, isMain, load, machine, onCleanup, printTable, runCleanups, stats } from './lib.ts';

const TSX = import.meta.resolve('tsx');
const BIN = path.join(ROOT, 'bin', 'scalarium.js');
const CLI_SOURCE = path.join(ROOT, 'cli', 'main.ts');
const CONNECT_TIMEOUT_MS = 60_000;

export interface CliStartOptions { runs: number }

interface Row { name: string; values: number[] }

/** Wall time of one program run from spawn to exit; a failing run is an error, not a figure. */
function timeRun(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, argv, { cwd: os.tmpdir(), env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const ms = performance.now() - started;
      if (code === 0) resolve(ms);
      else reject(new Error(`node ${argv.join(' ')} exited with ${code}: ${stderr.trim()}`));
    });
  });
}

/** A stand-in for the server's WebSocket endpoint: resolves the next connection's arrival time. */
async function fakeServer(): Promise<{ url: string; nextConnection: () => Promise<number>; close: () => Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const { port } = wss.address() as { port: number };
  return {
    url: `ws://127.0.0.1:${port}/agent`,
    nextConnection: () => new Promise((resolve) => wss.once('connection', () => resolve(performance.now()))),
    close: () => new Promise<void>((resolve) => {
      for (const client of wss.clients) client.terminate();
      wss.close(() => resolve());
    }),
  };
}

/**
 * Spawn → first WebSocket connection to the (fake) server: what an instance needs before the
 * server can send it setup. The process is stopped (its whole group) before this returns.
 */
async function timeToConnect(argv: string[], env: NodeJS.ProcessEnv, server: Awaited<ReturnType<typeof fakeServer>>): Promise<number> {
  const connected = server.nextConnection();
  const started = performance.now();
  const child = spawn(process.execPath, argv, { env, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let timer: NodeJS.Timeout | undefined;
  try {
    const at = await Promise.race([
      connected,
      exited.then(() => Promise.reject(new Error(`node ${argv.join(' ')} exited before it connected: ${stderr.trim()}`))),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`node ${argv.join(' ')} did not connect`)), CONNECT_TIMEOUT_MS))),
    ]);
    return at - started;
  } finally {
    clearTimeout(timer);
    const kill = (signal: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // already gone
      }
    };
    kill('SIGTERM');
    const killTimer = setTimeout(() => kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(killTimer);
  }
}

export async function cliStart(options: CliStartOptions): Promise<{ cli: Row[]; instances: Row[] }> {
  const { runs } = options;
  console.log(`\n== cli-start: the CLI, the agent and the router, ${runs} starts each ==`);
  console.log(`machine: ${machine()}`);
  console.log(`load average before: ${load()}`);

  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'scalarium-bench-start-'));
  const removeScratch = onCleanup(() => fs.rmSync(scratch, { recursive: true, force: true }));
  let server: TestServer | undefined;
  const stopServer = onCleanup(async () => server?.cleanup());
  let fake: Awaited<ReturnType<typeof fakeServer>> | undefined;
  const closeFake = onCleanup(async () => fake?.close());
  try {
    // The CLI, against a real server: `version` needs no server, `apps` is one API call.
    server = await startTestServer();
    const home = path.join(scratch, 'home');
    fs.mkdirSync(home);
    // tsx keeps its compile cache in TMPDIR: one shared, warm cache, as a user's CLI calls have.
    const tsxCache = path.join(scratch, 'tsx-cache');
    fs.mkdirSync(tsxCache);
    const cliEnv = {
      PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), TMPDIR: tsxCache,
      SCALARIUM_SERVER: server.url, SCALARIUM_TOKEN: server.token,
    };
    // The server and token come from the environment (cliEnv), as the CLI takes them.
    const target = '`${process.env.SCALARIUM_SERVER}/api/apps`';
    const headers = '{ authorization: `Bearer ${process.env.SCALARIUM_TOKEN}` }';
    const oneGet = (client: 'fetch' | 'http') => client === 'fetch'
      ? `const r = await fetch(${target}, { headers: ${headers} }); if (!r.ok) process.exit(1); await r.text();`
      : `import http from 'node:http'; await new Promise((ok, fail) => http.get(${target}, { headers: ${headers} }, (res) => ` +
        `{ if (res.statusCode !== 200) process.exit(1); res.resume(); res.on('end', ok); }).on('error', fail));`;
    const rebuild = await timeRun([path.join(ROOT, 'scripts', 'build-cli.js')], cliEnv); // also makes dist/ fresh
    const cliCases: Array<{ name: string; argv: string[] }> = [
      { name: 'node -e 0 (the floor: starting node)', argv: ['-e', '0'] },
      { name: 'scalarium version, compiled (bin/scalarium.js)', argv: [BIN, 'version'] },
      { name: 'scalarium version, dist/cli.mjs without the stamp check', argv: [path.join(ROOT, 'dist', 'cli.mjs'), 'version'] },
      { name: 'scalarium version, TypeScript via tsx (before)', argv: ['--import', TSX, CLI_SOURCE, 'version'] },
      { name: 'scalarium apps, compiled', argv: [BIN, 'apps'] },
      { name: 'scalarium apps, TypeScript via tsx (before)', argv: ['--import', TSX, CLI_SOURCE, 'apps'] },
      // What the HTTP client alone costs a fresh process: fetch() loads undici and compiles its
      // WebAssembly HTTP parser, which the process then waits for at exit; node:http does neither.
      { name: 'node + one GET /api/apps with fetch() (what the CLI uses)', argv: ['--input-type=module', '-e', oneGet('fetch')] },
      { name: 'node + one GET /api/apps with node:http', argv: ['--input-type=module', '-e', oneGet('http')] },
    ];
    for (const { argv } of cliCases) await timeRun(argv, cliEnv); // warm-up: file cache, tsx cache
    const cli: Row[] = cliCases.map(({ name }) => ({ name, values: [] }));
    // Interleaved, so that a burst of load elsewhere skews every case alike.
    for (let i = 0; i < runs; i++) {
      for (const [n, { argv }] of cliCases.entries()) cli[n]!.values.push(await timeRun(argv, cliEnv));
    }
    // The server's own share of `scalarium apps`: the same request from this (warm) process.
    const answer: number[] = [];
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      const listed = await server.api('GET', '/api/apps');
      if (listed.status !== 200) throw new Error(`GET /api/apps answered ${listed.status}`);
      answer.push(performance.now() - started);
    }
    cli.push({ name: 'GET /api/apps alone (the server\'s share of `apps`)', values: answer });
    cli.push({ name: 'rebuild after a source changed (node scripts/build-cli.js)', values: [rebuild] });
    await stopServer();

    // Agent and router: spawn → first WebSocket connection, against a stand-in server.
    const bundleStarted = performance.now();
    const bundle = await agentBundle(path.join(scratch, 'agent-bundle'));
    const bundleMs = performance.now() - bundleStarted;
    fake = await fakeServer();
    const instanceEnv = (role: string, tmp: string) => ({
      PATH: process.env.PATH, LANG: process.env.LANG ?? 'C.UTF-8', TMPDIR: tmp,
      SCALARIUM_SERVER_URL: fake!.url, SCALARIUM_INSTANCE_ID: `bench-${role}`, SCALARIUM_INSTANCE_TOKEN: 'bench',
      SCALARIUM_AGENT_DIR: path.join(scratch, role), SCALARIUM_APPS_DIR: path.join(scratch, `${role}-apps`),
      SCALARIUM_ROUTER_HOST: '127.0.0.1', SCALARIUM_ROUTER_PORT: '0', SCALARIUM_ROUTER_STATE: path.join(scratch, 'routes.json'),
      SCALARIUM_ROLE: role,
    });
    let fresh = 0;
    /** A new, empty TMPDIR: the local provider gave every new instance its own, so tsx began cold. */
    const freshTmp = () => {
      const dir = path.join(scratch, `tmp-${++fresh}`);
      fs.mkdirSync(dir);
      return dir;
    };
    const warmTmp = freshTmp();
    const sources = { agent: path.join(ROOT, 'server', 'agent', 'main.ts'), router: path.join(ROOT, 'server', 'router', 'main.ts') };
    const instanceCases = (['agent', 'router'] as const).flatMap((role) => [
      { name: `${role}, compiled instance program (now)`, argv: () => [bundle.file, '--instance-dir', path.join(scratch, role)], tmp: () => warmTmp },
      { name: `${role}, tsx, new instance (cold cache, before)`, argv: () => ['--import', TSX, sources[role], '--instance-dir', path.join(scratch, role)], tmp: freshTmp },
      { name: `${role}, tsx, restarted instance (warm cache)`, argv: () => ['--import', TSX, sources[role], '--instance-dir', path.join(scratch, role)], tmp: () => warmTmp },
    ].map((c) => ({ ...c, role })));
    // As root an agent opens its iptables chain (LoopbackGuard) while it connects; stopped that
    // early it may leave the chain behind, so the benchmark removes it after every run.
    const startOnce = async (c: (typeof instanceCases)[number]) => {
      try {
        return await timeToConnect(c.argv(), instanceEnv(c.role, c.tmp()), fake!);
      } finally {
        if (c.role === 'agent') await LoopbackGuard.remove(agentGroupPrefix(path.join(scratch, 'agent')));
      }
    };
    for (const c of instanceCases) await startOnce(c); // warm-up
    const instances: Row[] = instanceCases.map(({ name }) => ({ name, values: [] }));
    for (let i = 0; i < runs; i++) {
      for (const [n, c] of instanceCases.entries()) instances[n]!.values.push(await startOnce(c));
    }
    instances.push({ name: 'building the instance program (once per server start)', values: [bundleMs] });

    const table = (title: string, rows: Row[]) => {
      console.log(`\n${title} (ms):`);
      printTable([['measure', 'median', 'min', 'max', 'n'], ...rows.map(({ name, values }) => {
        const s = stats(values);
        return [name, fmt(s.median), fmt(s.min), fmt(s.max), s.n];
      })]);
    };
    table('CLI, spawn → exit', cli);
    table('instances, spawn → first WebSocket connection to the server', instances);
    console.log(`load average after: ${load()}`);
    return { cli, instances };
  } finally {
    await closeFake();
    await stopServer();
    await removeScratch();
  }
}

if (isMain(import.meta.url)) {
  try {
    await cliStart({ runs: intArg(process.argv.slice(2), 'runs', 10) });
    process.exit(0);
  } catch (error) {
    console.error((error as Error).stack ?? String(error));
    await runCleanups();
    process.exit(1);
  }
}
