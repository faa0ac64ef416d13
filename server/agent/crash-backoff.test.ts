import test from 'ava';
import { BACKOFF_MAX_MS, crashBackoffMs, nextStreak, STABLE_AFTER_MS } from './crash-backoff.ts';

test('the first crash restarts at once, then 10 s doubling to 5 min', (t) => {
  t.deepEqual([1, 2, 3, 4, 5, 6, 7, 8, 50].map(crashBackoffMs), [1000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, BACKOFF_MAX_MS]);
});

test('a process that ran 10 minutes before it crashed starts the count again', (t) => {
  t.is(nextStreak(0, 0), 1);
  t.is(nextStreak(4, 30_000), 5);
  t.is(nextStreak(4, STABLE_AFTER_MS), 1);
});
