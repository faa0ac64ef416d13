// A query's rows (one per series and bucket) as the points of one graph line: the matching
// series summed, averaged or maxed per bucket; histograms merged, then read as a percentile.
// Buckets without rows give no point: a graph draws a gap, never a made-up zero.
import { mergeCounts, quantile } from './buckets.ts';
import type { MetricKind, Point } from './types.ts';

export type Aggregate = 'sum' | 'avg' | 'max';

export interface PointRow {
  at: number;
  sum: number;
  count: number;
  max: number | null;
  hist: Record<number, number> | null;
  /** a histogram's percentile the row carries already (the query's own), for one series */
  quantile?: number;
}

export interface AggregateOptions {
  kind: MetricKind;
  stepMs: number;
  aggregate?: Aggregate;
  quantile?: number;
  rate?: boolean;
}

interface Bucket {
  /** Σ and max of the series' values (a counter's increment, a gauge's average) */
  total: number;
  peak: number;
  series: number;
  /** the largest single gauge sample */
  max: number | null;
  count: number;
  sum: number;
  hist: Record<number, number>;
  /** the stored percentile of the bucket's only row, when it had one */
  quantile?: number;
}

/**
 * Per bucket, by kind:
 * - counter: the series' increments summed ('sum', the default), averaged or maxed across series;
 *   with rate, per second.
 * - gauge: each series' average in the bucket, summed ('sum', the default: e.g. memory of every
 *   process type) or averaged ('avg': e.g. CPU across instances); 'max' is the largest single
 *   sample of any series (a peak, exact at every resolution). `max` on the point is that peak too.
 * - histogram: the counts merged; with quantile, that percentile, else the mean.
 * `count` is the samples (counter, gauge) or observations (histogram) behind the point.
 */
export function pointsOf(rows: Iterable<PointRow>, o: AggregateOptions): Point[] {
  const buckets = new Map<number, Bucket>();
  for (const row of rows) {
    let b = buckets.get(row.at);
    if (!b) buckets.set(row.at, (b = { total: 0, peak: -Infinity, series: 0, max: null, count: 0, sum: 0, hist: {} }));
    b.count += row.count;
    b.sum += row.sum;
    if (o.kind === 'histogram') {
      if (row.quantile !== undefined) {
        b.quantile = row.quantile;
        b.series++;
        continue;
      }
      // One series' row is taken as it is; a second one merges into a copy (rows are not changed).
      if (row.hist) b.hist = b.series++ === 0 ? row.hist : mergeCounts(b.series === 2 ? { ...b.hist } : b.hist, row.hist);
      continue;
    }
    const value = o.kind === 'gauge' ? (row.count ? row.sum / row.count : null) : row.sum;
    if (value === null) continue;
    b.total += value;
    b.peak = Math.max(b.peak, value);
    b.series += 1;
    if (row.max !== null) b.max = b.max === null ? row.max : Math.max(b.max, row.max);
  }
  return [...buckets]
    .sort(([a], [b]) => a - b)
    .map(([at, b]) => {
      const point: Point = { at, value: valueOf(b, o), count: b.count };
      if (o.kind === 'gauge' && b.max !== null) point.max = b.max;
      return point;
    });
}

function valueOf(b: Bucket, o: AggregateOptions): number | null {
  if (o.kind === 'histogram') {
    if (b.quantile !== undefined && b.series === 1) return b.quantile;
    if (o.quantile !== undefined) return quantile(b.hist, o.quantile);
    return b.count ? b.sum / b.count : null;
  }
  if (!b.series) return null;
  const aggregate = o.aggregate ?? 'sum';
  if (o.kind === 'gauge' && aggregate === 'max') return b.max;
  const value = aggregate === 'sum' ? b.total : aggregate === 'avg' ? b.total / b.series : b.peak;
  return o.kind === 'counter' && o.rate ? value / (o.stepMs / 1000) : value;
}
