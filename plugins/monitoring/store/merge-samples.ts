// A batch of samples as one accumulation per series: what one bucket of any resolution gains from
// it. Merging first keeps a batch to one upsert per series and bucket (Postgres refuses to update
// one row twice in a statement), and makes a series sent twice in a batch add up.
import { mergeCounts } from './buckets.ts';
import { canonicalLabels } from './labels.ts';
import type { MetricKind, Sample } from './types.ts';

export interface Accumulated {
  /** metric and canonical labels: the series' key in the store and its cache */
  key: string;
  metric: string;
  labels: string;
  kind: MetricKind;
  /** counter: sum of increments; gauge: sum of values; histogram: sum of the observed values */
  sum: number;
  /** counter and gauge: samples; histogram: observations */
  count: number;
  /** gauge only: the largest value */
  max: number | null;
  /** histogram only: bucket index → count */
  hist: Record<number, number> | null;
}

// The columns' sizes (migrations/001-metrics.ts): Postgres would fail the whole batch on one.
const MAX_METRIC = 64;
const MAX_LABELS = 1000;

export function mergeSamples(samples: Sample[]): Accumulated[] {
  const byKey = new Map<string, Accumulated>();
  for (const s of samples) {
    const add = addition(s);
    if (!add) continue;
    const labels = canonicalLabels(s.labels);
    if (s.metric.length > MAX_METRIC || labels.length > MAX_LABELS) continue;
    const key = `${s.metric}\u0000${labels}`;
    const acc = byKey.get(key);
    if (!acc) {
      byKey.set(key, { key, metric: s.metric, labels, kind: s.kind, ...add, hist: add.hist && { ...add.hist } });
      continue;
    }
    acc.sum += add.sum;
    acc.count += add.count;
    if (add.max !== null) acc.max = acc.max === null ? add.max : Math.max(acc.max, add.max);
    if (add.hist) acc.hist = mergeCounts(acc.hist ?? {}, add.hist);
  }
  // Sums past the largest double are not a measurement.
  return [...byKey.values()].filter((a) => Number.isFinite(a.sum) && Number.isFinite(a.count));
}

/** What one sample adds to its bucket; undefined for a sample without a usable value (no zeros made up). */
function addition(s: Sample): Pick<Accumulated, 'sum' | 'count' | 'max' | 'hist'> | undefined {
  if (s.kind === 'histogram') {
    const h = s.histogram;
    if (!h || !Number.isFinite(h.sum) || !Number.isFinite(h.count)) return undefined;
    return { sum: h.sum, count: h.count, max: null, hist: h.counts };
  }
  if (typeof s.value !== 'number' || !Number.isFinite(s.value)) return undefined;
  if (s.kind === 'counter') return { sum: s.value, count: 1, max: null, hist: null };
  if (s.kind === 'gauge') return { sum: s.value, count: 1, max: s.value, hist: null };
  return undefined;
}
