// Response-time histograms: the router counts into core's fixed buckets (~10 % wide, 1 ms to a
// minute), so histograms of any series and any range merge exactly by adding counts. A percentile
// is interpolated within its bucket: smooth over spread latencies (within a few %), and at most a
// bucket (~10 %) off when all values sit at one end of it (the median of such a bucket, ~5 %).
import { LATENCY_BUCKETS_MS } from '../../../server/plugin-api.ts';

export { LATENCY_BUCKETS_MS, bucketIndex } from '../../../server/plugin-api.ts';

/** Adds `from`'s counts into `into` (sparse: bucket index → count); returns `into`. */
export function mergeCounts(into: Record<number, number>, from: Record<number, number>): Record<number, number> {
  // for…in, not Object.entries: a week graph merges ~10,000 of these per line.
  for (const key in from) {
    const n = from[key as unknown as number]!;
    if (n) into[key as unknown as number] = (into[key as unknown as number] ?? 0) + n;
  }
  return into;
}

const CANONICAL_INDEX = /^(0|[1-9]\d*)$/;

/**
 * The fast path of quantile(): integer keys of an object iterate in ascending order (ECMAScript
 * orders array-index keys numerically), so no sort is needed. Undefined (use the general path)
 * when a key is not a bucket index of LATENCY_BUCKETS_MS.
 */
function quantileInOrder(counts: Record<number, number>, q: number): number | null | undefined {
  let total = 0;
  for (const key in counts) {
    if (!CANONICAL_INDEX.test(key) || Number(key) >= LATENCY_BUCKETS_MS.length) return undefined;
    const n = counts[key as unknown as number]!;
    if (n > 0) total += n;
  }
  if (!total) return null;
  const rank = Math.min(Math.max(q, 0), 1) * total;
  let below = 0;
  for (const key in counts) {
    const n = counts[key as unknown as number]!;
    if (!(n > 0)) continue;
    if (below + n >= rank) return interpolate(Number(key), n, rank - below);
    below += n;
  }
  return null;
}

function interpolate(i: number, n: number, into: number): number {
  const lower = i > 0 ? LATENCY_BUCKETS_MS[i - 1]! : 0;
  const upper = LATENCY_BUCKETS_MS[i] ?? Infinity;
  if (upper === Infinity) return lower;
  return lower + ((upper - lower) * into) / n;
}

/**
 * The q-quantile (0..1) of a histogram, interpolated linearly within its bucket; null when empty.
 * Values past the last finite bound read as that bound (the histogram knows nothing above it).
 */
export function quantile(counts: Record<number, number>, q: number): number | null {
  const fast = quantileInOrder(counts, q);
  if (fast !== undefined) return fast;
  const buckets = Object.entries(counts)
    // An index out of range (a report from another version) counts in the nearest bucket.
    .map(([i, n]) => [Math.min(Math.max(Math.trunc(Number(i)), 0), LATENCY_BUCKETS_MS.length - 1), n] as const)
    .filter(([i, n]) => n > 0 && Number.isFinite(i))
    .sort(([a], [b]) => a - b);
  const total = buckets.reduce((s, [, n]) => s + n, 0);
  if (!total) return null;
  const rank = Math.min(Math.max(q, 0), 1) * total;
  let below = 0;
  for (const [i, n] of buckets) {
    if (below + n >= rank) return interpolate(i, n, rank - below);
    below += n;
  }
  return null; // not reached: rank <= total
}
