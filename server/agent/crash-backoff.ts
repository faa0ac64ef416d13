// When a crashed process is started again, after Heroku and Kubernetes: the first crash restarts
// at once (a second), the next ones wait 10 s, doubling up to 5 minutes, so a process that cannot
// run does not burn the instance's CPU and floods nobody's logs; one that ran 10 minutes before it
// crashed starts the count again. A new release starts new processes, with no count at all.
export const FIRST_RESTART_MS = 1000;
export const BACKOFF_BASE_MS = 10_000;
export const BACKOFF_MAX_MS = 5 * 60_000;
export const STABLE_AFTER_MS = 10 * 60_000;

/** The wait before restarting after the `streak`-th crash in a row (1 for the first). */
export function crashBackoffMs(streak: number): number {
  if (streak <= 1) return FIRST_RESTART_MS;
  return Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(streak - 2, 20));
}

/** The streak after a crash of a process that had run `ranMs` since it last became ready. */
export function nextStreak(streak: number, ranMs: number): number {
  return ranMs >= STABLE_AFTER_MS ? 1 : streak + 1;
}
