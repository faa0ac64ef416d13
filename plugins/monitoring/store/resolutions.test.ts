import test from 'ava';
import { bucketStart, bucketsIn, chooseResolution, DEFAULT_MAX_POINTS, keptSince, RETENTION_MS } from './resolutions.ts';

const NOW = Date.UTC(2025, 0, 20, 12, 0, 5);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

test('a query reads the finest resolution that holds its start', (t) => {
  t.is(chooseResolution(NOW - HOUR, NOW, NOW, DEFAULT_MAX_POINTS), '10s');
  t.is(chooseResolution(NOW - DAY, NOW, NOW, DEFAULT_MAX_POINTS), '10s');
  // A day that began more than a day ago: its 10 s points are gone.
  t.is(chooseResolution(NOW - DAY - HOUR, NOW - HOUR, NOW, DEFAULT_MAX_POINTS), '1m');
  t.is(chooseResolution(NOW - 7 * DAY, NOW, NOW, DEFAULT_MAX_POINTS), '1m');
  t.is(chooseResolution(NOW - 8 * DAY - 1, NOW, NOW, DEFAULT_MAX_POINTS), '1h');
  t.is(chooseResolution(NOW - 365 * DAY, NOW, NOW, DEFAULT_MAX_POINTS), '1h');
  // Past every retention: the coarsest (it may still hold the end of the range).
  t.is(chooseResolution(NOW - 500 * DAY, NOW, NOW, DEFAULT_MAX_POINTS), '1h');
});

test('a query reads no more buckets than maxPoints when a coarser resolution can do it', (t) => {
  t.is(chooseResolution(NOW - HOUR, NOW, NOW, 361), '10s');
  t.is(chooseResolution(NOW - HOUR, NOW, NOW, 100), '1m');
  t.is(chooseResolution(NOW - HOUR, NOW, NOW, 10), '1h');
  t.is(chooseResolution(NOW - 7 * DAY, NOW, NOW, 10_000), '1h');
  t.is(bucketsIn(NOW - 7 * DAY, NOW, '1m'), DEFAULT_MAX_POINTS);
});

test('buckets start on their step; a resolution keeps the bucket that holds its retention limit', (t) => {
  t.is(bucketStart(NOW, '10s'), NOW - 5_000);
  t.is(bucketStart(NOW, '1m'), NOW - 5_000);
  t.is(bucketStart(NOW, '1h'), NOW - 5_000);
  t.is(keptSince(NOW, '10s'), NOW - 5_000 - RETENTION_MS['10s']);
  t.is(keptSince(NOW + 30_000, '1h'), NOW - 5_000 - RETENTION_MS['1h']);
  t.is(bucketsIn(NOW, NOW - 1, '10s'), 0);
});
