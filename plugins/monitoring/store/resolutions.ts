// The three resolutions and how long each is kept: 10 s points for a day, 1 min for 8 days, 1 h
// for 400 days. A query reads the finest one that still holds its start and gives few enough
// points, so a week graph reads ~10,000 1 min points and a year ~9,000 hourly ones.
import type { Resolution } from './types.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Finest first. */
export const RESOLUTIONS: readonly Resolution[] = ['10s', '1m', '1h'];
export const STEP_MS: Record<Resolution, number> = { '10s': 10_000, '1m': MINUTE, '1h': HOUR };
export const RETENTION_MS: Record<Resolution, number> = { '10s': DAY, '1m': 8 * DAY, '1h': 400 * DAY };

/** A week of 1 min buckets and the one under way: a 7 d graph reads minutes, not hours. */
export const DEFAULT_MAX_POINTS = 7 * DAY / MINUTE + 1;

export const bucketStart = (at: number, resolution: Resolution): number => Math.floor(at / STEP_MS[resolution]) * STEP_MS[resolution];

/** Buckets a range spans at a resolution (both ends' buckets included). */
export const bucketsIn = (from: number, to: number, resolution: Resolution): number =>
  to < from ? 0 : Math.floor(to / STEP_MS[resolution]) - Math.floor(from / STEP_MS[resolution]) + 1;

/**
 * The oldest bucket start a resolution still keeps at `now`: a bucket goes once all of it is past
 * retention, so a range starting within retention finds every bucket it overlaps.
 */
export const keptSince = (now: number, resolution: Resolution): number => bucketStart(now - RETENTION_MS[resolution], resolution);

/** The finest resolution that holds `from` and spans at most maxPoints buckets; else the coarsest. */
export function chooseResolution(from: number, to: number, now: number, maxPoints: number): Resolution {
  const fits = RESOLUTIONS.find((r) => from >= now - RETENTION_MS[r] && bucketsIn(from, to, r) <= maxPoints);
  return fits ?? RESOLUTIONS[RESOLUTIONS.length - 1]!;
}
