// record() and query() against a real SQLite database (core's, with the plugin's migration).
import test from 'ava';
import { bucketIndex, mergeCounts, quantile } from './buckets.ts';
import { MIGRATIONS, withStore } from './scratch.test-support.ts';
import type { Labels, Sample } from './types.ts';

const T0 = Date.UTC(2025, 0, 6); // a Monday, midnight: every bucket starts on it
const S = 1000;
const MIN = 60 * S;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const counter = (metric: string, labels: Labels, value: number): Sample => ({ metric, labels, kind: 'counter', value });
const gauge = (metric: string, labels: Labels, value: number): Sample => ({ metric, labels, kind: 'gauge', value });
function histogram(metric: string, labels: Labels, values: number[]): Sample {
  const counts: Record<number, number> = {};
  for (const v of values) counts[bucketIndex(v)] = (counts[bucketIndex(v)] ?? 0) + 1;
  return { metric, labels, kind: 'histogram', histogram: { counts, sum: values.reduce((a, b) => a + b, 0), count: values.length } };
}
const values = (points: Array<{ value: number | null }>) => points.map((p) => p.value);

test('10 s points over an hour; the same hour in 1 min and 1 h buckets when maxPoints asks', async (t) => {
  await withStore(T0 + HOUR + 5 * S, async (store) => {
    for (let k = 0; k < 360; k++) {
      await store.record([counter('requests', { app: 'shop' }, k), gauge('process_memory_bytes', { app: 'shop', type: 'web' }, 100 + k)], T0 + k * 10 * S + 3 * S);
    }
    const range = { labels: { app: 'shop' }, from: T0, to: T0 + HOUR - 1 };
    const fine = await store.query({ metric: 'requests', ...range });
    t.is(fine.resolution, '10s');
    t.is(fine.stepMs, 10 * S);
    t.deepEqual(fine.series.map((s) => s.labels), [{ app: 'shop' }]);
    t.deepEqual(fine.series[0]!.points.slice(0, 2), [{ at: T0, value: 0, count: 1 }, { at: T0 + 10 * S, value: 1, count: 1 }]);
    t.deepEqual(values(fine.series[0]!.points), Array.from({ length: 360 }, (_, k) => k));
    const rate = await store.query({ metric: 'requests', ...range, rate: true });
    t.deepEqual(values(rate.series[0]!.points), Array.from({ length: 360 }, (_, k) => k / 10));

    const minutes = await store.query({ metric: 'requests', ...range, maxPoints: 100 });
    t.is(minutes.resolution, '1m');
    t.deepEqual(values(minutes.series[0]!.points), Array.from({ length: 60 }, (_, m) => 36 * m + 15));
    const memory = await store.query({ metric: 'process_memory_bytes', ...range, maxPoints: 100 });
    t.deepEqual(memory.series[0]!.points[2], { at: T0 + 2 * MIN, value: 114.5, max: 117, count: 6 });

    const hours = await store.query({ metric: 'requests', ...range, maxPoints: 10 });
    t.is(hours.resolution, '1h');
    t.deepEqual(hours.series[0]!.points, [{ at: T0, value: (359 * 360) / 2, count: 360 }]);
  });
});

test('1 min points over a day whose 10 s points are gone: counters as rates, gauges as average and peak', async (t) => {
  await withStore(T0 + 30 * HOUR, async (store) => {
    for (let k = 0; k < 8640; k++) {
      await store.record([counter('requests', { app: 'shop' }, 1), gauge('process_cpu_percent', { app: 'shop', type: 'web' }, k % 6)], T0 + k * 10 * S);
    }
    const range = { labels: { app: 'shop' }, from: T0, to: T0 + DAY - 1 };
    const requests = await store.query({ metric: 'requests', ...range, rate: true });
    t.is(requests.resolution, '1m');
    t.is(requests.series[0]!.points.length, 1440);
    t.true(requests.series[0]!.points.every((p) => p.value === 0.1 && p.count === 6));
    const cpu = await store.query({ metric: 'process_cpu_percent', ...range });
    t.true(cpu.series[0]!.points.every((p) => p.value === 2.5 && p.max === 5));
    const peak = await store.query({ metric: 'process_cpu_percent', ...range, aggregate: 'max' });
    t.true(peak.series[0]!.points.every((p) => p.value === 5));
  });
});

test('1 h points over a week', async (t) => {
  await withStore(T0 + 10 * DAY, async (store) => {
    for (let k = 0; k < 7 * 24 * 6; k++) {
      await store.record([counter('requests', { app: 'shop' }, 1), gauge('instance_load1', { cluster: 'prod', role: 'app', instance: 'i-1' }, Math.floor(k / 6))], T0 + k * 10 * MIN);
    }
    const week = { from: T0, to: T0 + 7 * DAY - 1 };
    const requests = await store.query({ metric: 'requests', labels: { app: 'shop' }, ...week });
    t.is(requests.resolution, '1h');
    t.is(requests.stepMs, HOUR);
    t.deepEqual(values(requests.series[0]!.points), Array.from({ length: 168 }, () => 6));
    const load = await store.query({ metric: 'instance_load1', labels: { cluster: 'prod' }, ...week });
    t.deepEqual(load.series[0]!.points.map((p) => [p.at, p.value, p.max]), Array.from({ length: 168 }, (_, h) => [T0 + h * HOUR, h, h]));
  });
});

test('gauges across series: sum, average and peak; label subsets; groupBy; label order does not matter', async (t) => {
  await withStore(T0 + MIN, async (store) => {
    const at = T0 + 5 * S;
    await store.record([
      gauge('instance_cpu_percent', { cluster: 'prod', role: 'app', instance: 'i-1' }, 10),
      gauge('instance_cpu_percent', { cluster: 'prod', role: 'app', instance: 'i-2' }, 30),
      gauge('instance_cpu_percent', { cluster: 'prod', role: 'db', instance: 'i-3' }, 50),
      gauge('instance_cpu_percent', { cluster: 'staging', role: 'app', instance: 'i-4' }, 99),
    ], at);
    await store.record([gauge('instance_cpu_percent', { instance: 'i-1', role: 'app', cluster: 'prod' }, 20)], at + 1 * S);
    const q = { metric: 'instance_cpu_percent', labels: { cluster: 'prod' }, from: T0, to: T0 + 9 * S };
    const one = async (extra: object) => (await store.query({ ...q, ...extra })).series.map((s) => [s.labels, s.points.map((p) => [p.value, p.max, p.count])]);
    t.deepEqual(await one({}), [[{ cluster: 'prod' }, [[95, 50, 4]]]]);
    t.deepEqual(await one({ aggregate: 'avg' }), [[{ cluster: 'prod' }, [[95 / 3, 50, 4]]]]);
    t.deepEqual(await one({ aggregate: 'max' }), [[{ cluster: 'prod' }, [[50, 50, 4]]]]);
    t.deepEqual(await one({ labels: { cluster: 'prod', role: 'app' }, aggregate: 'avg' }), [[{ cluster: 'prod', role: 'app' }, [[22.5, 30, 3]]]]);
    t.deepEqual(await one({ groupBy: 'role' }), [
      [{ cluster: 'prod', role: 'app' }, [[45, 30, 3]]],
      [{ cluster: 'prod', role: 'db' }, [[50, 50, 1]]],
    ]);
    t.deepEqual(await one({ groupBy: 'instance', aggregate: 'avg' }), [
      [{ cluster: 'prod', instance: 'i-1' }, [[15, 20, 2]]],
      [{ cluster: 'prod', instance: 'i-2' }, [[30, 30, 1]]],
      [{ cluster: 'prod', instance: 'i-3' }, [[50, 50, 1]]],
    ]);
    t.deepEqual(await store.seriesOf('instance_cpu_percent', { cluster: 'prod' }), [
      { cluster: 'prod', instance: 'i-1', role: 'app' },
      { cluster: 'prod', instance: 'i-2', role: 'app' },
      { cluster: 'prod', instance: 'i-3', role: 'db' },
    ]);
    t.is((await store.seriesOf('instance_cpu_percent')).length, 4);
  });
});

test('recording twice into one bucket adds up; missing buckets stay missing', async (t) => {
  await withStore(T0 + MIN, async (store) => {
    await store.record([counter('requests', { app: 'shop' }, 30), counter('responses', { app: 'shop', status: '2xx' }, 28), gauge('g', { app: 'shop' }, 10)], T0 + 1 * S);
    await store.record([counter('requests', { app: 'shop' }, 20), counter('responses', { app: 'shop', status: '5xx' }, 2), gauge('g', { app: 'shop' }, 20)], T0 + 9 * S);
    // Two samples of one series in a batch (as from two routers) add up too.
    await store.record([counter('requests', { app: 'shop' }, 5), counter('requests', { app: 'shop' }, 7), gauge('g', { app: 'shop' }, 40)], T0 + 25 * S);
    const range = { labels: { app: 'shop' }, from: T0, to: T0 + MIN - 1 };
    t.deepEqual((await store.query({ metric: 'requests', ...range, rate: true })).series[0]!.points, [
      { at: T0, value: 5, count: 2 },
      { at: T0 + 20 * S, value: 1.2, count: 2 },
    ]);
    t.deepEqual(values((await store.query({ metric: 'responses', ...range })).series[0]!.points), [30]);
    t.deepEqual((await store.query({ metric: 'g', ...range })).series[0]!.points, [
      { at: T0, value: 15, max: 20, count: 2 },
      { at: T0 + 20 * S, value: 40, max: 40, count: 1 },
    ]);
    t.deepEqual((await store.query({ metric: 'g', ...range, maxPoints: 1 })).series[0]!.points, [{ at: T0, value: 70 / 3, max: 40, count: 3 }]);
  });
});

test('histograms merge exactly: percentiles over a range and across apps are those of all the values', async (t) => {
  await withStore(T0 + HOUR, async (store) => {
    let x = 1;
    const next = () => ((x = (x * 1_103_515_245 + 12_345) % 2 ** 31), x / 2 ** 31);
    const all: number[] = [];
    for (let k = 0; k < 60; k++) {
      const shop = Array.from({ length: 50 }, () => 20 + 200 * next() ** 3);
      const blog = Array.from({ length: 30 }, () => 5 + 50 * next());
      all.push(...shop, ...blog);
      await store.record([histogram('response_ms', { app: 'shop' }, shop), histogram('response_ms', { app: 'blog' }, blog)], T0 + k * MIN);
    }
    const expected = histogram('response_ms', {}, all).histogram!;
    for (const maxPoints of [1, 60, 1000]) {
      const answer = await store.query({ metric: 'response_ms', from: T0, to: T0 + HOUR - 1, maxPoints, quantile: 0.95 });
      t.is(answer.series.length, 1);
      t.is(answer.series[0]!.points.reduce((n, p) => n + p.count, 0), all.length);
      if (maxPoints === 1) t.is(answer.series[0]!.points[0]!.value, quantile(expected.counts, 0.95));
    }
    const mean = await store.query({ metric: 'response_ms', from: T0, to: T0 + HOUR - 1, maxPoints: 1 });
    t.true(Math.abs(mean.series[0]!.points[0]!.value! - expected.sum / expected.count) < 1e-9);
  });
});

test('a backend that takes 50 ms shows p50 ≈ 50 ms, also when its histogram comes in two parts', async (t) => {
  await withStore(T0 + MIN, async (store) => {
    await store.record([histogram('response_ms', { app: 'shop' }, Array.from({ length: 600 }, () => 50))], T0 + 1 * S);
    await store.record([histogram('response_ms', { app: 'shop' }, Array.from({ length: 400 }, () => 50))], T0 + 2 * S);
    const [p50] = (await store.query({ metric: 'response_ms', labels: { app: 'shop' }, from: T0, to: T0 + 9 * S, quantile: 0.5 })).series[0]!.points;
    t.is(p50!.count, 1000);
    t.true(Math.abs(p50!.value! - 50) / 50 < 0.05, `p50 = ${p50!.value}`);
    const counts = mergeCounts({}, histogram('x', {}, Array.from({ length: 1000 }, () => 50)).histogram!.counts);
    t.is(p50!.value, quantile(counts, 0.5));
  });
});

test('an unknown metric, or no points in the range, gives no series', async (t) => {
  await withStore(T0 + MIN, async (store) => {
    t.deepEqual(await store.query({ metric: 'nothing', from: T0, to: T0 + MIN }), { resolution: '10s', stepMs: 10 * S, series: [] });
    t.deepEqual(await store.seriesOf('nothing'), []);
    await store.record([counter('requests', { app: 'shop' }, 1)], T0);
    t.deepEqual((await store.query({ metric: 'requests', from: T0 + 20 * S, to: T0 + MIN })).series, []);
    t.deepEqual((await store.query({ metric: 'requests', labels: { app: 'blog' }, from: T0, to: T0 + MIN })).series, []);
    await store.record([], T0);
    await store.record([gauge('g', { app: 'shop' }, NaN)], T0);
    t.deepEqual(await store.seriesOf('g'), []);
  });
});

test('the migration goes down as it came up', async (t) => {
  await withStore(T0, async (_store, db) => {
    t.true(await db.schema.hasTable('metric_points'));
    await db.migrate.rollback(MIGRATIONS);
    t.false(await db.schema.hasTable('metric_points'));
    t.false(await db.schema.hasTable('metric_series'));
  });
});
