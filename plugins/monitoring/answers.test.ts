// The figures monitoring gives alerting and autoscaling (metricValue): one value over a window,
// from a real SQLite store, with known samples.
import test from 'ava';
import { answer, catalogue } from './answers.ts';
import { bucketIndex } from './store/buckets.ts';
import type { MetricStore } from './store/metric-store.ts';
import { withStore as withScratchStore } from './store/scratch.test-support.ts';
import type { Sample } from './store/types.ts';

const T0 = Date.UTC(2025, 0, 6);
const S = 1000;
const NOW = T0 + 10 * 60 * S;
const withStore = (run: (store: MetricStore) => Promise<void>) => withScratchStore(NOW, run);

/** One 10 s interval of app traffic: `requests` requests, `errors` of them 5xx, all taking `ms`. */
function traffic(app: string, requests: number, errors: number, ms: number): Sample[] {
  return [
    { metric: 'requests', labels: { app }, kind: 'counter', value: requests },
    { metric: 'responses', labels: { app, status: '5xx' }, kind: 'counter', value: errors },
    { metric: 'response_ms', labels: { app }, kind: 'histogram', histogram: { counts: { [bucketIndex(ms)]: requests }, sum: ms * requests, count: requests } },
  ];
}

test('an app\'s rate, error rate and p95 over the last minute read only the complete buckets inside it', async (t) => {
  await withStore(async (store) => {
    // Six minutes of 10 s intervals: the first five slow and healthy, the last one fast and failing.
    for (let k = 0; k < 36; k++) {
      const late = k >= 30;
      await store.record(traffic('shop', 100, late ? 20 : 0, late ? 20 : 400), T0 + k * 10 * S + 5 * S);
    }
    await store.record(traffic('other', 50, 50, 1000), T0 + 5 * S);
    const now = T0 + 360 * S; // the end of the last interval
    const minute = { scope: { app: 'shop' }, windowMs: 60 * S, now };
    t.is((await answer(store, { metric: 'requests_per_second', ...minute }))?.value, 10);
    t.is((await answer(store, { metric: 'error_rate_percent', ...minute }))?.value, 20);
    const p95 = (await answer(store, { metric: 'p95_ms', ...minute }))!;
    t.is(p95.unit, 'ms');
    t.true(p95.value! >= 15 && p95.value! <= 25, `p95 ${p95.value}`);
    // Over six minutes the slow part dominates: 300 of 360 requests took 400 ms.
    const long = (await answer(store, { metric: 'p50_ms', scope: { app: 'shop' }, windowMs: 360 * S, now }))!;
    t.true(long.value! >= 300 && long.value! <= 500, `p50 ${long.value}`);
  });
});

test('no traffic is no figure (null), an unknown metric is not answered, a scope of the wrong kind gives null', async (t) => {
  await withStore(async (store) => {
    await store.record(traffic('shop', 10, 0, 5), T0 + 5 * S);
    const now = T0 + 600 * S;
    t.deepEqual(await answer(store, { metric: 'error_rate_percent', scope: { app: 'shop' }, windowMs: 60 * S, now }), { value: null, unit: 'percent' });
    t.is(await answer(store, { metric: 'no_such_metric', scope: { app: 'shop' }, windowMs: 60 * S, now }), undefined);
    t.deepEqual(await answer(store, { metric: 'load1', scope: { app: 'shop' }, windowMs: 60 * S, now }), { value: null, unit: 'load' });
  });
});

test('cluster figures by role and instance: CPU averaged, disk the fullest', async (t) => {
  await withStore(async (store) => {
    const at = T0 + 5 * S;
    const gauge = (metric: string, role: string, instance: string, value: number): Sample => ({ metric, labels: { cluster: 'prod', role, instance }, kind: 'gauge', value });
    for (let k = 0; k < 6; k++) {
      await store.record([
        gauge('instance_cpu_percent', 'app', 'i-1', 80), gauge('instance_cpu_percent', 'app', 'i-2', 40), gauge('instance_cpu_percent', 'router', 'i-3', 5),
        gauge('instance_disk_percent', 'app', 'i-1', 30), gauge('instance_disk_percent', 'app', 'i-2', 90),
      ], at + k * 10 * S);
    }
    const q = { windowMs: 60 * S, now: T0 + 60 * S };
    t.is((await answer(store, { metric: 'instance_cpu_percent', scope: { cluster: 'prod', role: 'app' }, ...q }))?.value, 60);
    t.is((await answer(store, { metric: 'instance_cpu_percent', scope: { cluster: 'prod', instance: 'i-3' }, ...q }))?.value, 5);
    t.is((await answer(store, { metric: 'instance_disk_percent', scope: { cluster: 'prod' }, ...q }))?.value, 90);
    t.true(catalogue().some((m) => m.name === 'instance_cpu_percent' && m.about === 'cluster'));
  });
});
