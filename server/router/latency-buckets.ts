// The response-time buckets the router counts into, shared with whoever stores them (the
// monitoring plugin): exponential, each 10 % wider than the one before, from 1 ms to a minute, so a
// percentile read from merged counts is within ~5 % of the true value over any range.
const GROWTH = 1.1;
const LAST_FINITE = Math.ceil(Math.log(60_000) / Math.log(GROWTH));

/** Upper bounds in ms, ascending; bucket i counts values in (bound[i-1], bound[i]]; the last is Infinity. */
export const LATENCY_BUCKETS_MS: readonly number[] = Object.freeze([
  ...Array.from({ length: LAST_FINITE + 1 }, (_, i) => Math.round(GROWTH ** i * 1000) / 1000),
  Infinity,
]);

/** The bucket of a duration: one logarithm, no search (this runs once per proxied request). */
export function bucketIndex(ms: number): number {
  if (!(ms > 1)) return 0;
  const i = Math.ceil(Math.log(ms) / Math.log(GROWTH) - 1e-9);
  if (i > LAST_FINITE) return LAST_FINITE + 1;
  // Rounding of the bounds: step to the neighbour when the value lies just across.
  if (ms > LATENCY_BUCKETS_MS[i]!) return i + 1;
  if (i > 0 && ms <= LATENCY_BUCKETS_MS[i - 1]!) return i - 1;
  return i;
}
