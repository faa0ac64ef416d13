// The supervisor's liveness check on a real web process: a node script serving HTTP on its PORT
// that, once asked for /break, stops answering /health but keeps running. It must be reported out
// of the router (crashed, while it still runs), killed, restarted through the crash path on the
// same port, and the new process must answer again.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { Supervisor, type SupervisorEvents } from './supervisor.ts';
import type { ProcessReport, ProcessSpec } from './protocol.ts';
import { until } from '../../test/helpers/until.ts';
import { isAlive } from '../../test/helpers/processes.ts';

const APP = `
const http = require('node:http');
let broken = false;
http.createServer((req, res) => {
  if (req.url === '/break') { broken = true; res.end('broken'); return; }
  if (req.url === '/health') {
    console.log('health ' + (broken ? 'ignored' : 'ok'));
    if (!broken) res.end('ok pid ' + process.pid);
    return; // broken: the request is left unanswered, the process runs on
  }
  res.end('hello');
}).listen(Number(process.env.PORT), '127.0.0.1');
`;

interface Recorded {
  reports: ProcessReport[];
  /** Log lines in the order they came, reports among them as "report <state>". */
  events: string[];
}

function supervised(t: import('ava').ExecutionContext) {
  const recorded: Recorded = { reports: [], events: [] };
  const events: SupervisorEvents = {
    report: (report) => {
      recorded.reports.push(report);
      recorded.events.push(`report ${report.state}`);
    },
    log: (_app, source, line) => recorded.events.push(`${source}: ${line}`),
    changed: () => {},
  };
  const supervisor = new Supervisor(events, { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' }, {
    isolation: { mode: 'shared', summary: 'test: apps run as the test' }, readable: [], hidden: [],
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scalarium-liveness-'));
  fs.mkdirSync(path.join(dir, 'app'));
  fs.mkdirSync(path.join(dir, 'tmp'));
  fs.writeFileSync(path.join(dir, 'app', 'server.cjs'), APP);
  t.teardown(async () => {
    await supervisor.stopAll(2000);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const spec = (id: string): ProcessSpec => ({
    id, app: 'shop', type: 'web', release: 1, command: `exec ${process.execPath} server.cjs`, env: { DYNO: 'web.1' },
    slug: { sha256: 'none', url: 'http://127.0.0.1:1/none' },
    readiness: { path: '/health', timeoutMs: 10_000 },
    liveness: { path: '/health', intervalMs: 1000, failures: 3 },
  });
  return { supervisor, recorded, spec, release: { dir: path.join(dir, 'app'), tmp: path.join(dir, 'tmp') } };
}

function get(port: number, urlPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: urlPath, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('timeout', function (this: http.ClientRequest) {
      this.destroy(new Error(`GET ${urlPath} timed out`));
    }).on('error', reject);
  });
}

test('a web process that stops answering its liveness check is taken out of the router, then restarted', async (t) => {
  const { supervisor, recorded, spec, release } = supervised(t);
  const started = await supervisor.start(spec('shop-web-1'), release);
  t.is(started.state, 'ready');
  const firstPid = started.pid!;
  t.is((await get(started.port, '/health')).body, `ok pid ${firstPid}`);
  t.is((await get(started.port, '/break')).body, 'broken');

  const why = 'failed its liveness check 3 times in a row (GET /health: no answer within 2 s)';
  const unhealthy = await until('the liveness failure', () => recorded.reports.find((r) => r.state === 'crashed'), { timeoutMs: 30_000 });
  // Reported before the kill: the server unroutes a process that is not ready.
  t.like(unhealthy, { state: 'crashed', pid: firstPid, restarts: 0, reason: why });
  const again = await until('the restart', () => recorded.reports.find((r) => r.state === 'ready' && r.restarts === 1), { timeoutMs: 30_000 });
  t.is(again.port, started.port, 'restarted on its port');
  t.not(again.pid, firstPid);
  t.false(isAlive(firstPid), 'the unhealthy process is gone');
  t.is((await get(again.port, '/health')).body, `ok pid ${again.pid}`, 'the new process answers');

  const order = recorded.events.filter((e) => /liveness|exited|^report/.test(e));
  t.deepEqual(order, [
    'report ready',
    `web.1: web.1 ${why}: restarting`,
    'report crashed',
    'web.1: process exited with signal SIGTERM',
    'report crashed',
    'report ready',
  ]);
  t.is(recorded.reports.filter((r) => r.state === 'crashed').at(-1)?.reason, `${why}, then exited with signal SIGTERM`);
  t.is(recorded.events.filter((e) => e === 'web.1: health ignored').length, 3, 'three probes went unanswered, no more');
});

test('a healthy web process keeps being probed and is left alone; stop() ends the probes with it', async (t) => {
  const { supervisor, recorded, spec, release } = supervised(t);
  const started = await supervisor.start(spec('shop-web-2'), release);
  const probes = () => recorded.events.filter((e) => e === 'web.1: health ok').length;
  const afterReady = probes();
  await until('three liveness probes', () => probes() >= afterReady + 3, { timeoutMs: 30_000 });
  // Its timer would keep this test process alive (and a probe of the freed port would fail).
  await supervisor.stop([started.id], 2000);
  t.deepEqual(recorded.reports.map((r) => r.state), ['ready', 'stopped'], 'never restarted');
  t.false(isAlive(started.pid!));
});
