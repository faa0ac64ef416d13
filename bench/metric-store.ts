// The monitoring store (plugins/monitoring/store) on SQLite: what recording costs the server with
// 1,000 instances reporting every 10 s, what a week graph of one app costs to read, and how big the
// database gets. Prints figures; no thresholds.
//
//   node --import tsx bench/metric-store.ts [--agents 1000] [--intervals 30] [--days 7]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, type Db } from '../server/db/knex.ts';
import { migrationSource } from '../server/db/migrations/index.ts';
import { MONITORING_MIGRATIONS } from '../plugins/monitoring/migrations/index.ts';
import { bucketIndex } from '../plugins/monitoring/store/buckets.ts';
import { MetricStore } from '../plugins/monitoring/store/metric-store.ts';
import type { Sample } from '../plugins/monitoring/store/types.ts';
import { appMetrics } from '../plugins/monitoring/views.ts';
import { renderGraph } from '../server/http/ui/graph.ts';
import { fmt, intArg, isMain, load, machine, onCleanup, printTable, runCleanups, stats } from './lib.ts';

const INTERVAL_MS = 10_000;
const FLUSHES_PER_INTERVAL = 10; // the recorder writes once a second (plugins/monitoring/recorder.ts)
const APPS = 200;

export interface MetricStoreOptions { agents: number; intervals: number; days: number }

async function scratchDatabase(): Promise<{ db: Db; dir: string; close: () => Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scalarium-bench-metrics-'));
  const db = await openDatabase(dir, '');
  await db.migrate.latest({ migrationSource: migrationSource(MONITORING_MIGRATIONS), tableName: 'knex_migrations_monitoring' });
  const close = onCleanup(async () => {
    await db.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { db, dir, close };
}

// A deterministic spread of latencies around a typical web app's (5–300 ms).
let seed = 1;
const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31), seed / 2 ** 31);
function latencies(n: number): Sample['histogram'] {
  const counts: Record<number, number> = {};
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const ms = 5 + 295 * random() ** 3;
    counts[bucketIndex(ms)] = (counts[bucketIndex(ms)] ?? 0) + 1;
    sum += ms;
  }
  return { counts, sum, count: n };
}

/** One agent's report, as samples.ts makes it: its instance, one process type and the router's traffic for one app. */
function agentSamples(agent: number): Sample[] {
  const app = `app-${agent % APPS}`;
  const instance = { cluster: 'prod', role: 'app', instance: `i-${agent}` };
  const process = { app, type: 'web' };
  const requests = 50 + Math.floor(random() * 100);
  return [
    { metric: 'instance_load1', labels: instance, kind: 'gauge', value: random() * 4 },
    { metric: 'instance_cpu_percent', labels: instance, kind: 'gauge', value: random() * 100 },
    { metric: 'instance_memory_bytes', labels: instance, kind: 'gauge', value: 2e9 * random() },
    { metric: 'instance_memory_percent', labels: instance, kind: 'gauge', value: random() * 100 },
    { metric: 'instance_disk_percent', labels: instance, kind: 'gauge', value: 40 },
    { metric: 'process_cpu_percent', labels: process, kind: 'gauge', value: random() * 100 },
    { metric: 'process_memory_bytes', labels: process, kind: 'gauge', value: 1e8 * random() },
    { metric: 'requests', labels: { app }, kind: 'counter', value: requests },
    { metric: 'responses', labels: { app, status: '2xx' }, kind: 'counter', value: requests },
    { metric: 'response_ms', labels: { app }, kind: 'histogram', histogram: latencies(requests) },
  ];
}

async function sizeOf(db: Db, dir: string): Promise<Array<Array<string | number>>> {
  await db.raw('PRAGMA wal_checkpoint(TRUNCATE)');
  const bytes = fs.readdirSync(dir).filter((f) => f.startsWith('scalarium.sqlite')).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
  const byResolution: Array<{ resolution: string; rows: number }> = await db('metric_points').select('resolution').count({ rows: '*' }).groupBy('resolution');
  const [{ series }] = await db('metric_series').count({ series: '*' });
  const rows = byResolution.reduce((n, r) => n + Number(r.rows), 0);
  return [
    ['series', Number(series)],
    ...byResolution.map((r) => [`points at ${r.resolution}`, Number(r.rows)]),
    ['database file (MiB)', fmt(bytes / 2 ** 20, 1)],
    ['bytes per point (whole file)', fmt(bytes / Math.max(rows, 1))],
  ];
}

async function recording(options: MetricStoreOptions): Promise<void> {
  const { db, dir, close } = await scratchDatabase();
  try {
    const store = new MetricStore(db);
    const start = Date.UTC(2025, 0, 6);
    const wall: number[] = [];
    const cpu: number[] = [];
    for (let interval = 0; interval < options.intervals; interval++) {
      const at = start + interval * INTERVAL_MS;
      const batches = Array.from({ length: FLUSHES_PER_INTERVAL }, (_, f) =>
        Array.from({ length: Math.ceil(options.agents / FLUSHES_PER_INTERVAL) }, (_, i) => f * Math.ceil(options.agents / FLUSHES_PER_INTERVAL) + i)
          .filter((agent) => agent < options.agents).flatMap(agentSamples));
      const cpuBefore = process.cpuUsage();
      const t0 = performance.now();
      for (const batch of batches) await store.record(batch, at);
      wall.push(performance.now() - t0);
      const used = process.cpuUsage(cpuBefore);
      cpu.push((used.user + used.system) / 1000);
    }
    const steady = (values: number[]) => stats(values.slice(1));
    const samples = options.agents * agentSamples(0).length;
    console.log(`\nrecord(): ${options.agents} agents × ${samples / options.agents} samples every 10 s, in ${FLUSHES_PER_INTERVAL} batches, ${options.intervals} intervals`);
    printTable([
      ['measure', 'first interval (new series)', 'median', 'max'],
      ['wall ms per 10 s interval', fmt(wall[0]!), fmt(steady(wall).median), fmt(steady(wall).max)],
      ['CPU ms per 10 s interval (all threads)', fmt(cpu[0]!), fmt(steady(cpu).median), fmt(steady(cpu).max)],
      ['% of one core', fmt(cpu[0]! / 100, 1), fmt(steady(cpu).median / 100, 1), fmt(steady(cpu).max / 100, 1)],
      ['samples/s recorded (wall)', fmt(samples / (wall[0]! / 1000)), fmt(samples / (steady(wall).median / 1000)), '-'],
    ]);
    console.log(`\ndatabase after ${options.intervals} intervals:`);
    printTable([['measure', 'value'], ...(await sizeOf(db, dir))]);
  } finally {
    await close();
  }
}

async function weekGraph(options: MetricStoreOptions): Promise<void> {
  const { db, dir, close } = await scratchDatabase();
  try {
    const start = Date.UTC(2025, 0, 6);
    const end = start + options.days * 86_400_000;
    let clock = start;
    const store = new MetricStore(db, { clock: () => clock });
    const labels = { app: 'shop' };
    const process = { app: 'shop', type: 'web' };
    const intervals = (end - start) / INTERVAL_MS;
    const t0 = performance.now();
    for (let k = 0; k < intervals; k++) {
      const requests = 20 + Math.floor(random() * 40);
      await store.record([
        { metric: 'requests', labels, kind: 'counter', value: requests },
        { metric: 'responses', labels: { ...labels, status: '2xx' }, kind: 'counter', value: requests },
        { metric: 'response_bytes', labels, kind: 'counter', value: requests * 2000 },
        { metric: 'response_ms', labels, kind: 'histogram', histogram: latencies(requests) },
        { metric: 'process_cpu_percent', labels: process, kind: 'gauge', value: random() * 100 },
        { metric: 'process_memory_bytes', labels: process, kind: 'gauge', value: 1e8 * random() },
      ], start + k * INTERVAL_MS);
    }
    const loadMs = performance.now() - t0;
    clock = end;
    console.log(`\na week graph: one app, ${options.days} days of 10 s data (6 series, ${intervals} record() calls in ${fmt(loadMs / 1000, 1)} s, ${fmt((loadMs * 1000) / intervals)} µs each)`);
    console.log('database before pruning:');
    printTable([['measure', 'value'], ...(await sizeOf(db, dir))]);

    const from = end - options.days * 86_400_000;
    const queries: Array<[string, Parameters<MetricStore['query']>[0]]> = [
      ['requests/s (counter, rate)', { metric: 'requests', labels, from, to: end, rate: true }],
      ['p95 response time (histogram)', { metric: 'response_ms', labels, from, to: end, quantile: 0.95 }],
      ['process CPU (gauge, avg)', { metric: 'process_cpu_percent', labels, from, to: end, aggregate: 'avg' }],
    ];
    const rows: Array<Array<string | number>> = [];
    for (const [name, q] of queries) {
      const times: number[] = [];
      let answer: Awaited<ReturnType<MetricStore['query']>> | undefined;
      for (let run = 0; run < 5; run++) {
        const t = performance.now();
        answer = await store.query(q);
        times.push(performance.now() - t);
      }
      const s = stats(times);
      rows.push([name, answer!.resolution, answer!.series[0]?.points.length ?? 0, fmt(s.median, 1), fmt(s.min, 1), fmt(s.max, 1)]);
    }
    console.log(`\nquery() over the whole range (ms, 5 runs):`);
    printTable([['query', 'resolution', 'points', 'median', 'min', 'max'], ...rows]);

    // What the app's Metrics tab does for "Last week": every series of the app, then its graphs.
    const tab: number[] = [];
    const draw: number[] = [];
    let drawn = 0;
    for (let run = 0; run < 5; run++) {
      const t = performance.now();
      const answer = await appMetrics(store, 'shop', { from, to: end });
      const read = performance.now();
      const svgs = answer.series.map((x) => renderGraph({ title: x.name, unit: x.unit, from, to: end, stepMs: answer.stepMs, series: [{ label: x.name, points: x.points.map(([at, value]) => ({ at, value })) }] }));
      tab.push(performance.now() - t);
      draw.push(performance.now() - read);
      drawn = svgs.length;
    }
    console.log(`\nthe app's Metrics tab for the last week (${drawn} series read and drawn, ms, 5 runs):`);
    printTable([
      ['measure', 'median', 'min', 'max'],
      ['read (appMetrics) + draw (renderGraph)', fmt(stats(tab).median, 1), fmt(stats(tab).min, 1), fmt(stats(tab).max, 1)],
      ['of which drawing', fmt(stats(draw).median, 1), fmt(stats(draw).min, 1), fmt(stats(draw).max, 1)],
    ]);

    const t = performance.now();
    const deleted = await store.prune(end);
    console.log(`\nprune() at the end of the range: ${deleted} points past retention deleted in ${fmt(performance.now() - t)} ms`);
    console.log('database after pruning (SQLite reuses the pages; the file does not shrink):');
    printTable([['measure', 'value'], ...(await sizeOf(db, dir))]);
  } finally {
    await close();
  }
}

export async function metricStoreBench(options: MetricStoreOptions): Promise<void> {
  console.log(`machine: ${machine()}`);
  console.log(`load average before: ${load()}`);
  await recording(options);
  await weekGraph(options);
  console.log(`\nload average after: ${load()}`);
}

if (isMain(import.meta.url)) {
  try {
    const argv = process.argv.slice(2);
    await metricStoreBench({ agents: intArg(argv, 'agents', 1000), intervals: intArg(argv, 'intervals', 30), days: intArg(argv, 'days', 7) });
    process.exit(0);
  } catch (error) {
    console.error((error as Error).stack ?? String(error));
    await runCleanups();
    process.exit(1);
  }
}
