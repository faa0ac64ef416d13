import test from 'ava';
import { bucketIndex, LATENCY_BUCKETS_MS, mergeCounts, quantile } from './buckets.ts';

// Deterministic "random" latencies: a linear congruential generator, log-spread over 1 ms–10 s.
function latencies(n: number, seed: number): number[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    return Math.round(10 ** ((x / 2 ** 31) * 4) * 100) / 100;
  });
}

function histogramOf(values: number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const v of values) counts[bucketIndex(v)] = (counts[bucketIndex(v)] ?? 0) + 1;
  return counts;
}

function exact(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

test('each value falls in the bucket whose bounds hold it; the last bucket is unbounded', (t) => {
  t.is(LATENCY_BUCKETS_MS.at(-1), Infinity);
  for (let i = 1; i < LATENCY_BUCKETS_MS.length; i++) t.true(LATENCY_BUCKETS_MS[i]! > LATENCY_BUCKETS_MS[i - 1]!);
  for (const v of [0, 0.5, 1, 1.05, 50, 54.76, 999, 59_999, 60_000, 1e9, ...latencies(500, 7)]) {
    const i = bucketIndex(v);
    t.true(v <= LATENCY_BUCKETS_MS[i]!, `${v} <= bound ${i}`);
    if (i > 0) t.true(v > LATENCY_BUCKETS_MS[i - 1]!, `${v} > bound ${i - 1}`);
  }
});

test('a thousand responses of 50 ms read as p50 ≈ 50 ms (within 5 %), p99 within the bucket (10 %)', (t) => {
  const counts = histogramOf(Array.from({ length: 1000 }, () => 50));
  const p50 = quantile(counts, 0.5)!;
  t.true(Math.abs(p50 - 50) / 50 < 0.05, `p50 = ${p50}`);
  const p99 = quantile(counts, 0.99)!;
  t.true(Math.abs(p99 - 50) / 50 < 0.1, `p99 = ${p99}`);
});

test('percentiles of a spread of latencies are within 5 % of the exact ones', (t) => {
  const values = latencies(20_000, 42);
  const counts = histogramOf(values);
  for (const q of [0.1, 0.5, 0.9, 0.95, 0.99]) {
    const p = quantile(counts, q)!;
    const want = exact(values, q);
    t.true(Math.abs(p - want) / want < 0.05, `p${q * 100}: ${p} vs ${want}`);
  }
});

test('merged histograms are the histogram of all the values: the same percentiles exactly', (t) => {
  const a = latencies(3000, 1);
  const b = latencies(5000, 2).map((v) => v * 3);
  const merged = mergeCounts(mergeCounts({}, histogramOf(a)), histogramOf(b));
  const all = histogramOf([...a, ...b]);
  t.deepEqual(merged, all);
  for (const q of [0, 0.5, 0.9, 0.99, 1]) t.is(quantile(merged, q), quantile(all, q));
});

test('an empty histogram has no percentile; values past a minute read as a minute', (t) => {
  t.is(quantile({}, 0.5), null);
  t.is(quantile({ 3: 0 }, 0.5), null);
  t.is(quantile({ [bucketIndex(120_000)]: 10 }, 0.5), LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 2]);
  t.is(quantile({ [bucketIndex(0.2)]: 4 }, 0.5), 0.5);
});
