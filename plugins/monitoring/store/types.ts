// What the monitoring store takes in and gives back. One sample is one series' observation for
// one 10 s interval; a point is one bucket of a query's answer.
export type MetricKind = 'counter' | 'gauge' | 'histogram';

/** e.g. { app: 'shop', type: 'web' } or { cluster: 'prod', role: 'app', instance: 'i-1' } */
export type Labels = Record<string, string>;

export interface Sample {
  metric: string;
  labels: Labels;
  kind: MetricKind;
  /** counter: the increment in the interval; gauge: the value. */
  value?: number;
  /** Bucket index (LATENCY_BUCKETS_MS, buckets.ts) → count, with the sum and number of the values. */
  histogram?: { counts: Record<number, number>; sum: number; count: number };
}

export interface Point {
  /** ms, start of the bucket */
  at: number;
  value: number | null;
  max?: number;
  count: number;
}

export type Resolution = '10s' | '1m' | '1h';
