// The accounting clock: wall time at start, advanced by the monotonic clock. A wall clock set back
// or forward while the server runs does not stretch, shrink or reverse an interval: durations are
// what the monotonic clock measured. Two corrections keep the times meaningful:
// - never before what is recorded (raiseTo at start): a clock set back while the server was down
//   cannot start an interval before the previous one of its subject ended;
// - a wall clock found ahead by more than STEP_MS (an NTP step forward, a VM that booted with a
//   stale clock) is followed: the accountant closes every open interval, re-anchors and reopens
//   them, so months are attributed by the corrected time and the step itself is counted by nobody.
//   A clock set back is not followed: the accounting clock stays ahead (nothing overlaps) until a
//   restart finds the wall clock past the last recorded time again.
import { performance } from 'node:perf_hooks';

export interface ClockSources {
  /** ms since the epoch (Date.now) */
  wall(): number;
  /** ms from some fixed point, never going back (performance.now) */
  monotonic(): number;
}

export const SYSTEM_CLOCK: ClockSources = { wall: () => Date.now(), monotonic: () => performance.now() };
/** How far ahead the wall clock may be before the accounting clock follows it. */
export const STEP_MS = 60_000;

export class AccountingClock {
  private anchorWall: number;
  private anchorMonotonic: number;

  constructor(private readonly sources: ClockSources = SYSTEM_CLOCK) {
    this.anchorWall = sources.wall();
    this.anchorMonotonic = sources.monotonic();
  }

  now(): number {
    return Math.round(this.anchorWall + (this.sources.monotonic() - this.anchorMonotonic));
  }

  /** Moves the clock on to `ms` if it is behind it (never back). */
  raiseTo(ms: number): void {
    const behind = ms - this.now();
    if (behind > 0) this.anchorWall += behind;
  }

  /** Whether the wall clock has stepped ahead of this clock (see above). */
  wallSteppedAhead(): boolean {
    return this.sources.wall() - this.now() > STEP_MS;
  }

  /** Takes the wall clock's time from now on (after a step forward; never goes back). */
  followWall(): void {
    const wall = this.sources.wall();
    const current = this.now();
    this.anchorWall = Math.max(wall, current);
    this.anchorMonotonic = this.sources.monotonic();
  }
}
