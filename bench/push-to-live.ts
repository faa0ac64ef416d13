// Push-to-live: wall time from just before `git push` starts to the moment the router serves the
// new response, compared with the floor on this machine (a plain `git push` to `git http-backend`
// plus starting the same app directly). Prints figures; no thresholds.
//
//   node --import tsx bench/push-to-live.ts [--runs 5]
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startTestServer, type TestServer } from '../test/helpers/server.ts';
import { authedGitUrl, createAppRepo, setResponse, type AppRepo } from '../test/helpers/app-repo.ts';
import { getViaRouter } from '../test/helpers/router-client.ts';
import { fmt, freePort, intArg, isMain, load, machine, onCleanup, printTable, runCleanups, sleep, stats } from './lib.ts';

const execFileAsync = promisify(execFile);
const APP = 'bench';
const POLL_MS = 5;
const TIMEOUT_MS = 120_000;
/** Pause between measurements so one does not run into the tail of the previous one. */
const SETTLE_MS = 300;

export interface PushToLiveOptions { runs: number }

export interface PushToLiveResult {
  runs: number;
  pushToLive: number[];
  pushReturns: number[];
  plainPush: number[];
  directStart: number[];
  floor: number[];
  firstPush: { live: number; plain: number };
  phases: Array<{ name: string; values: number[] }>;
}

export async function pushToLive(options: PushToLiveOptions): Promise<PushToLiveResult> {
  const { runs } = options;
  console.log(`\n== push-to-live: ${runs} pushes of test/fixtures/apps/node-hello ==`);
  console.log(`machine: ${machine()}`);
  console.log(`load average before: ${load()}`);

  let server: TestServer | undefined;
  let repo: AppRepo | undefined;
  const stopServer = onCleanup(async () => server?.cleanup());
  const removeRepo = onCleanup(() => repo?.cleanup());
  const plainRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'scalarium-bench-git-'));
  const removePlainRoot = onCleanup(() => fs.rmSync(plainRoot, { recursive: true, force: true }));
  try {
    server = await startTestServer();
    repo = await createAppRepo('node-hello');
    const status = await server.api<{ domain?: string }>('GET', '/api/status');
    const host = `${APP}.${status.body.domain ?? 'localhost'}`;
    const created = await server.api('POST', '/api/apps', { name: APP });
    if (created.status !== 201) throw new Error(`could not create app: ${created.status} ${JSON.stringify(created.body)}`);
    const scalariumUrl = authedGitUrl(server.url, APP, server.token);

    // The floor's git server: a bare repo behind `git http-backend`.
    const bare = path.join(plainRoot, `${APP}.git`);
    await execFileAsync('git', ['init', '-q', '--bare', bare]);
    await execFileAsync('git', ['-C', bare, 'config', 'http.receivepack', 'true']);
    const gitServer = await startGitHttpBackend(plainRoot);
    const stopGitServer = onCleanup(() => gitServer.close());
    const plainUrl = `${gitServer.url}/${APP}.git`;

    // Warm-up, not part of the figures: the first push creates the repo's history everywhere, the
    // first deploy has no old process to replace, the first direct start warms the file cache.
    console.log('warm-up: first push (v1) to Scalarium and to the plain git server, one direct start');
    const first = await measureScalariumPush(repo, scalariumUrl, server.routerPort, host, 'hello from v1');
    await sleep(SETTLE_MS);
    const firstPlain = await measurePlainPush(repo, plainUrl);
    await directStart(repo.dir);
    await sleep(SETTLE_MS);

    const result: PushToLiveResult = {
      runs, pushToLive: [], pushReturns: [], plainPush: [], directStart: [], floor: [],
      firstPush: { live: first.live, plain: firstPlain }, phases: [],
    };
    const commits = new Set<string>();
    for (let i = 1; i <= runs; i++) {
      const text = `hello from bench run ${i} (${Date.now().toString(36)})`;
      setResponse(repo, text);
      commits.add(await repo.commit(`bench run ${i}`));

      const scalarium = await measureScalariumPush(repo, scalariumUrl, server.routerPort, host, text);
      await sleep(SETTLE_MS);
      const plain = await measurePlainPush(repo, plainUrl);
      await sleep(SETTLE_MS);
      const direct = await directStart(repo.dir);
      await sleep(SETTLE_MS);

      result.pushToLive.push(scalarium.live);
      result.pushReturns.push(scalarium.returned);
      result.plainPush.push(plain);
      result.directStart.push(direct);
      result.floor.push(plain + direct);
      console.log(`run ${i}/${runs}: push-to-live ${fmt(scalarium.live)} ms (git push returned at ${fmt(scalarium.returned)} ms), ` +
        `plain push ${fmt(plain)} ms, direct start ${fmt(direct)} ms`);
    }
    await stopGitServer();

    result.phases = await recordedPhases(server, commits);
    report(result);
    console.log(`load average after: ${load()}`);
    return result;
  } finally {
    await stopServer();
    await removeRepo();
    await removePlainRoot();
  }
}

/** Pushes and polls the router until it serves `expected`; both times are from just before the push. */
async function measureScalariumPush(
  repo: AppRepo, remote: string, routerPort: number, host: string, expected: string,
): Promise<{ live: number; returned: number }> {
  const start = performance.now();
  let returned = NaN;
  let failed: string | undefined;
  const pushing = repo.push(remote).then((r) => {
    returned = performance.now() - start;
    if (r.code !== 0) failed = `git push to Scalarium failed (${r.code}):\n${r.output}`;
    return r;
  });
  let live = NaN;
  while (Number.isNaN(live)) {
    const res = await getViaRouter(routerPort, host).catch(() => undefined);
    if (res?.status === 200 && res.body === expected) {
      live = performance.now() - start;
      break;
    }
    if (failed) throw new Error(failed);
    if (performance.now() - start > TIMEOUT_MS) throw new Error(`router did not serve "${expected}" within ${TIMEOUT_MS} ms`);
    await sleep(POLL_MS);
  }
  await pushing;
  if (failed) throw new Error(failed);
  return { live, returned };
}

async function measurePlainPush(repo: AppRepo, remote: string): Promise<number> {
  const start = performance.now();
  const r = await repo.push(remote);
  const elapsed = performance.now() - start;
  if (r.code !== 0) throw new Error(`plain git push failed (${r.code}):\n${r.output}`);
  return elapsed;
}

/** Starts `node server.js` with PORT set, as the app's Procfile/start script would, until it answers HTTP. */
async function directStart(dir: string): Promise<number> {
  const port = await freePort();
  const start = performance.now();
  const child = spawn(process.execPath, ['server.js'], { cwd: dir, env: { ...process.env, PORT: String(port) }, stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const kill = onCleanup(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  try {
    for (;;) {
      const status = await plainGet(port).catch(() => 0);
      if (status === 200) return performance.now() - start;
      if (child.exitCode !== null) throw new Error(`node server.js exited with ${child.exitCode} before answering`);
      if (performance.now() - start > TIMEOUT_MS) throw new Error('node server.js did not answer HTTP in time');
      await sleep(POLL_MS);
    }
  } finally {
    await kill();
  }
}

function plainGet(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 5_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/**
 * A minimal smart-HTTP git server: every request runs `git http-backend` as a CGI program (request
 * body on stdin, CGI headers then body on stdout).
 */
export async function startGitHttpBackend(projectRoot: string): Promise<{ url: string; close(): Promise<void> }> {
  const children = new Set<ReturnType<typeof spawn>>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? os.homedir(),
      GIT_PROJECT_ROOT: projectRoot,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: decodeURIComponent(url.pathname),
      REQUEST_METHOD: req.method ?? 'GET',
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      REMOTE_USER: 'bench',
      REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
    };
    if (req.headers['content-length']) env.CONTENT_LENGTH = req.headers['content-length'];
    if (req.headers['content-encoding']) env.HTTP_CONTENT_ENCODING = req.headers['content-encoding'];
    const gitProtocol = req.headers['git-protocol'];
    if (typeof gitProtocol === 'string') env.GIT_PROTOCOL = gitProtocol;

    const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(child);
    child.on('close', () => children.delete(child));
    child.on('error', (error) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`git http-backend: ${error.message}\n`);
    });
    child.stdin.on('error', () => {});
    child.stderr.on('data', (chunk: Buffer) => process.stderr.write(`git http-backend: ${chunk}`));
    req.pipe(child.stdin);
    res.on('close', () => {
      if (!res.writableFinished && child.exitCode === null) child.kill('SIGTERM');
    });

    // CGI response: header lines, a blank line, then the body.
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const crlf = head.indexOf('\r\n\r\n');
      const lf = head.indexOf('\n\n');
      const end = crlf >= 0 && (lf < 0 || crlf < lf) ? { at: crlf, len: 4 } : lf >= 0 ? { at: lf, len: 2 } : undefined;
      if (!end) return;
      child.stdout.off('data', onData);
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of head.subarray(0, end.at).toString('latin1').split(/\r?\n/)) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = parseInt(value, 10) || 500;
        else headers[name] = value;
      }
      res.writeHead(status, headers);
      res.write(head.subarray(end.at + end.len));
      child.stdout.pipe(res);
    };
    child.stdout.on('data', onData);
    child.stdout.on('end', () => {
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end('git http-backend ended without a response\n');
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as import('node:net').AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      for (const child of children) child.kill('SIGKILL');
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface BuildJson { commit: string; status: string; timings: Record<string, number>; startedAt: string; finishedAt: string | null }
interface ReleaseJson { version: number; commit: string; timings: Record<string, number> }
interface DeploymentJson { release: number; status: string; steps: Array<{ name: string; ms: number }>; startedAt: string; finishedAt: string | null }

/** The per-phase timings Scalarium recorded for the measured pushes (builds, releases, deployments). */
async function recordedPhases(server: TestServer, commits: Set<string>): Promise<Array<{ name: string; values: number[] }>> {
  const get = async <T>(apiPath: string): Promise<T> => {
    const res = await server.api<T>('GET', apiPath);
    if (res.status !== 200) throw new Error(`GET ${apiPath}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const builds = (await get<BuildJson[]>(`/api/apps/${APP}/builds`)).filter((b) => commits.has(b.commit) && b.status === 'succeeded');
  const releases = (await get<ReleaseJson[]>(`/api/apps/${APP}/releases`)).filter((r) => commits.has(r.commit));
  const versions = new Set(releases.map((r) => r.version));
  const deployments = (await get<DeploymentJson[]>(`/api/apps/${APP}/deployments`))
    .filter((d) => versions.has(d.release) && d.status === 'succeeded');

  const phases = new Map<string, number[]>();
  const add = (name: string, ms: number | undefined) => {
    if (typeof ms !== 'number' || !Number.isFinite(ms)) return;
    phases.set(name, [...(phases.get(name) ?? []), ms]);
  };
  const span = (from: string, to: string | null) => (to ? Date.parse(to) - Date.parse(from) : undefined);
  for (const b of builds) {
    for (const [name, ms] of Object.entries(b.timings)) add(`build: ${name}`, ms);
    add('build: total (startedAt→finishedAt)', span(b.startedAt, b.finishedAt));
  }
  for (const d of deployments) {
    for (const step of d.steps) add(`deployment: ${step.name}`, step.ms);
    add('deployment: total (startedAt→finishedAt)', span(d.startedAt, d.finishedAt));
  }
  for (const r of releases) {
    for (const [name, ms] of Object.entries(r.timings)) add(`release timings: ${name}`, ms);
  }
  return [...phases].map(([name, values]) => ({ name, values }));
}

function report(r: PushToLiveResult): void {
  const row = (name: string, values: number[]) => {
    const s = stats(values);
    return [name, fmt(s.median), fmt(s.min), fmt(s.max)];
  };
  console.log(`\npush-to-live, ${r.runs} runs (ms)`);
  printTable([
    ['measure', 'median', 'min', 'max'],
    row('push-to-live (git push start → router serves new text)', r.pushToLive),
    row('  scalarium git push returns', r.pushReturns),
    row('plain push (git http-backend)', r.plainPush),
    row('direct start (node server.js → answers HTTP)', r.directStart),
    row('floor = plain push + direct start', r.floor),
  ]);
  const overhead = stats(r.pushToLive).median - stats(r.floor).median;
  console.log(`overhead = median push-to-live - median floor = ${fmt(overhead)} ms`);
  console.log(`warm-up (not in the table): first push-to-live ${fmt(r.firstPush.live)} ms, first plain push ${fmt(r.firstPush.plain)} ms`);

  console.log(`\nphases recorded by Scalarium for these ${r.runs} pushes (ms)`);
  if (r.phases.some((p) => p.values.length < r.runs)) {
    console.log('(some phases cover fewer pushes than were made: the API lists only the latest 20 builds and deployments)');
  }
  printTable([
    ['phase', 'median', 'min', 'max', 'n'],
    ...r.phases.map(({ name, values }) => {
      const s = stats(values);
      return [name, fmt(s.median), fmt(s.min), fmt(s.max), String(s.n)];
    }),
  ]);
}

if (isMain(import.meta.url)) {
  const runs = intArg(process.argv.slice(2), 'runs', 5);
  pushToLive({ runs }).then(
    () => process.exit(0),
    async (error: Error) => {
      console.error(error.stack ?? error.message);
      await runCleanups();
      process.exit(1);
    },
  );
}
