// The instance protocol trusts no instance beyond its own: with one instance's token, a peer must
// not rewrite another instance's processes, write log lines into an app it does not run, or claim
// to be a router. Real SQLite, the real hub on a real HTTP server, real WebSocket clients.
import test from 'ava';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { openDatabase, type Db } from '../db/knex.ts';
import { ensureCluster, insertInstance, instanceByToken } from '../db/instances.ts';
import { insertApp } from '../db/apps.ts';
import { insertProcess, listProcesses, updateProcess } from '../db/processes.ts';
import { loadConfig } from '../core/config.ts';
import { Scalarium } from '../core/scalarium.ts';
import { AgentHub } from './hub.ts';
import { syncInstances } from './instance-sync.ts';
import type { LogLine, MetricsReport } from '../core/types.ts';
import { relayMetrics } from './metrics-relay.ts';

interface World { db: Db; url: string; logs: LogLine[]; metrics: MetricsReport[]; hub: AgentHub; close(): Promise<void> }

async function world(): Promise<World> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scalarium-sync-'));
  const db = await openDatabase(dataDir);
  const hub = new AgentHub(async (id, token) => {
    const row = await instanceByToken(db, id, token);
    return row ? (row.role === 'router' ? 'router' : 'agent') : undefined;
  }, 'test');
  const scalarium = new Scalarium(loadConfig({ SCALARIUM_DATA_DIR: dataDir }), db, hub, 'test:1');
  scalarium.say = () => {};
  const logs: LogLine[] = [];
  scalarium.hooks.log.tap('test', (line) => void logs.push(line));
  syncInstances(scalarium, () => {});
  const metrics: MetricsReport[] = [];
  scalarium.hooks.metrics.tap('test', (report) => void metrics.push(report));
  relayMetrics(scalarium);
  const server = http.createServer();
  server.on('upgrade', (req, socket, head) => hub.handleUpgrade(req, socket, head));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const cluster = await ensureCluster(db, 'local', 'local');
  await insertInstance(db, { id: 'i-victim', clusterId: cluster.id, role: 'app', token: 'victim-token' });
  await insertInstance(db, { id: 'i-evil', clusterId: cluster.id, role: 'app', token: 'evil-token' });
  await insertInstance(db, { id: 'i-router', clusterId: cluster.id, role: 'router', token: 'router-token' });
  const victim = await insertApp(db, 'victim', cluster.id, 'admin');
  const evil = await insertApp(db, 'evil', cluster.id, 'admin');
  await insertProcess(db, { id: 'victim-web-1', appId: victim.id, instanceId: 'i-victim', type: 'web', release: 1 });
  await updateProcess(db, 'victim-web-1', { state: 'ready', port: 41000 });
  await insertProcess(db, { id: 'evil-web-1', appId: evil.id, instanceId: 'i-evil', type: 'web', release: 1 });
  const far = await ensureCluster(db, 'far', 'local');
  await insertApp(db, 'faraway', far.id, 'admin');
  return {
    db, logs, metrics, hub, url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/agent`,
    async close() {
      hub.removeAllListeners(); // disconnect handlers write to the database, which goes next
      hub.close();
      await new Promise((resolve) => server.close(resolve));
      await settle(); // sync work a hello started is still writing
      await db.destroy();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Connects as an instance; resolves with the socket once welcomed, or with the close code. */
function connect(url: string, hello: Record<string, unknown>): Promise<{ ws: WebSocket; welcomed: boolean; code?: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', pid: 1, processes: [], ...hello })));
    ws.on('message', (data) => {
      if (JSON.parse(String(data)).type === 'welcome') resolve({ ws, welcomed: true });
    });
    ws.on('close', (code) => resolve({ ws, welcomed: false, code }));
  });
}

async function settle(): Promise<void> {
  await new Promise((r) => setTimeout(r, 300));
}

test('a process report about another instance\'s process changes nothing', async (t) => {
  const w = await world();
  t.teardown(() => w.close());
  const evil = await connect(w.url, { kind: 'agent', instanceId: 'i-evil', token: 'evil-token' });
  t.true(evil.welcomed);
  await settle(); // the hello's own reconciliation first
  evil.ws.send(JSON.stringify({ type: 'process', process: { id: 'victim-web-1', app: 'victim', type: 'web', release: 1, state: 'ready', port: 9, restarts: 0 } }));
  evil.ws.send(JSON.stringify({ type: 'process', process: { id: 'evil-web-1', app: 'evil', type: 'web', release: 1, state: 'ready', port: 42000, restarts: 0 } }));
  await settle();
  const rows = await listProcesses(w.db);
  t.is(rows.find((p) => p.id === 'victim-web-1')?.port, 41000, 'the victim\'s process keeps its port');
  t.is(rows.find((p) => p.id === 'evil-web-1')?.port, 42000, 'an instance may report on its own processes');
  evil.ws.close();
});

test('log lines count only for apps the instance runs', async (t) => {
  const w = await world();
  t.teardown(() => w.close());
  const evil = await connect(w.url, { kind: 'agent', instanceId: 'i-evil', token: 'evil-token' });
  t.true(evil.welcomed);
  evil.ws.send(JSON.stringify({ type: 'log', app: 'victim', source: 'web.1', line: 'forged line', at: new Date().toISOString() }));
  evil.ws.send(JSON.stringify({ type: 'log', app: 'evil', source: 'web.1', line: 'own line', at: new Date().toISOString() }));
  await settle();
  t.deepEqual(w.logs.map((l) => `${l.app}: ${l.line}`), ['evil: own line']);
  evil.ws.close();
});

test('the kind comes from the instance\'s role: an app instance cannot join as a router, nor a router as an agent', async (t) => {
  const w = await world();
  t.teardown(() => w.close());
  const fake = await connect(w.url, { kind: 'router', instanceId: 'i-evil', token: 'evil-token', port: 8080 });
  t.false(fake.welcomed);
  t.is(fake.code, 4003);
  const wrong = await connect(w.url, { kind: 'agent', instanceId: 'i-router', token: 'router-token' });
  t.false(wrong.welcomed);
  t.is(wrong.code, 4003);
  const real = await connect(w.url, { kind: 'router', instanceId: 'i-router', token: 'router-token', port: 8080 });
  t.true(real.welcomed);
  real.ws.close();
});

test('a token opens only its own instance', async (t) => {
  const w = await world();
  t.teardown(() => w.close());
  const borrowed = await connect(w.url, { kind: 'agent', instanceId: 'i-victim', token: 'evil-token' });
  t.false(borrowed.welcomed);
  t.is(borrowed.code, 4001);
});

test('only the instance a request went to can answer it', async (t) => {
  const w = await world();
  t.teardown(() => w.close());
  const victim = await connect(w.url, { kind: 'agent', instanceId: 'i-victim', token: 'victim-token' });
  const evil = await connect(w.url, { kind: 'agent', instanceId: 'i-evil', token: 'evil-token' });
  t.true(victim.welcomed && evil.welcomed);
  let seen: number | undefined;
  victim.ws.on('message', (data) => {
    const message = JSON.parse(String(data));
    if (message.type === 'request') seen = message.reqId;
  });
  const answer = w.hub.request('i-victim', { op: 'stop', ids: [], graceMs: 0 }, 5000);
  while (seen === undefined) await new Promise((r) => setTimeout(r, 10));
  // The other instance guesses the request id and answers first, with a result of its choosing.
  evil.ws.send(JSON.stringify({ type: 'reply', reqId: seen, ok: true, result: { forged: true } }));
  await settle();
  victim.ws.send(JSON.stringify({ type: 'reply', reqId: seen, ok: true, result: { stopped: 0 } }));
  t.deepEqual(await answer, { stopped: 0 });
  victim.ws.close();
  evil.ws.close();
});

test('metrics speak only of the instance\'s own processes, under the names the database gives them, with sane numbers', async (t) => {
  const w = await world();
  t.teardown(() => w.close());
  const evil = await connect(w.url, { kind: 'agent', instanceId: 'i-evil', token: 'evil-token' });
  t.true(evil.welcomed);
  evil.ws.send(JSON.stringify({
    type: 'metrics', at: new Date().toISOString(), intervalMs: 10_000,
    instance: { load1: -3, cpus: 2, cpuPercent: 250, memoryUsedBytes: 'lots', memoryTotalBytes: 8e9, diskUsedBytes: 9e12, diskTotalBytes: 1e12 },
    processes: [
      { id: 'victim-web-1', app: 'victim', type: 'web', cpuPercent: 99, rssBytes: 1 },
      { id: 'evil-web-1', app: 'victim', type: 'worker', cpuPercent: 12.5, rssBytes: 5e6 },
      { id: 'made-up', app: 'evil', type: 'web', rssBytes: 1 },
    ],
  }));
  await settle();
  t.is(w.metrics.length, 1);
  const [report] = w.metrics;
  t.is(report!.instance.id, 'i-evil');
  t.deepEqual(report!.processes, [{ id: 'evil-web-1', app: 'evil', type: 'web', cpuPercent: 12.5, rssBytes: 5e6 }]);
  t.deepEqual(report!.usage, { load1: 0, cpus: 2, cpuPercent: 100, memoryUsedBytes: 0, memoryTotalBytes: 8e9, diskUsedBytes: 1e12, diskTotalBytes: 1e12 });
  t.deepEqual(report!.routes, [], 'an agent reports no traffic');
  evil.ws.close();
});

test('a router\'s traffic counts for the apps of its own cluster only; the welcome says how often to report', async (t) => {
  const w = await world();
  t.teardown(() => w.close());
  w.hub.metricsIntervalMs = 2000;
  const ws = new WebSocket(w.url);
  const welcome = new Promise<Record<string, unknown>>((resolve) => ws.on('message', (data) => resolve(JSON.parse(String(data)))));
  ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', kind: 'router', instanceId: 'i-router', token: 'router-token', pid: 1, port: 8080 })));
  t.like(await welcome, { type: 'welcome', metricsIntervalMs: 2000 });
  const usage = (requests: number) => ({ requests, statuses: [0, requests, 0, 0, 0], bytes: 10, latency: { counts: { 40: requests, 9999: 5, '-1': 2 }, sumMs: 50 * requests } });
  ws.send(JSON.stringify({
    type: 'metrics', at: '1999-01-01T00:00:00Z', intervalMs: 2000,
    routes: { 'victim.localhost': usage(3), 'faraway.localhost': usage(7), 'nobody.localhost': usage(1), 'evil.localhost': usage(0), 'victim.example.org': usage(2) },
  }));
  await settle();
  t.is(w.metrics.length, 1);
  const [report] = w.metrics;
  t.deepEqual(report!.routes, [{ app: 'victim', usage: { requests: 3, statuses: [0, 3, 0, 0, 0], bytes: 10, latency: { counts: { 40: 3 }, sumMs: 150 } } }]);
  t.true(Math.abs(report!.at - Date.now()) < 5000, 'a clock far off is replaced by the server\'s');
  ws.close();
});
