// How long a failing drain waits before it tries again: 250 ms doubling per failure up to the
// maximum, each wait between half and all of that (jitter, so drains that failed together do not
// all come back in the same millisecond).
const FIRST_MS = 250;

export function backoffMs(failures: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, FIRST_MS * 2 ** Math.min(Math.max(failures - 1, 0), 20));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
