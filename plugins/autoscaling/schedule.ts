// Time-based scaling: cron schedules in a time zone (OpsWorks' time-based instances, per weekday
// and hour). The schedule that fired last sets the count's floor; load-based scaling may go above.
import { Cron } from 'croner';

/** Why the cron expression or the time zone cannot work, in words; nothing when they can. */
export function checkSchedule(cron: string, tz: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
  } catch {
    return `time zone ${JSON.stringify(tz.slice(0, 60))} is unknown: give an IANA name like Europe/Berlin or UTC`;
  }
  if (cron.trim().split(/\s+/).length !== 5) return 'a cron expression has 5 fields: minute hour day-of-month month day-of-week, like "0 8 * * 1-5"';
  try {
    const job = new Cron(cron, { timezone: tz, paused: true });
    if (!job.nextRun()) return `cron "${cron.slice(0, 60)}" never fires`;
  } catch (error) {
    return `cron "${cron.slice(0, 60)}" is not valid: ${(error as Error).message.replace(/^CronPattern: /, '')}`;
  }
  return undefined;
}

/** When the schedule last fired at or before `now` (within the last 8 days), or undefined. */
export function lastFired(cron: string, tz: string, now: number): number | undefined {
  const job = new Cron(cron, { timezone: tz, paused: true });
  let at: Date | null = new Date(now - 8 * 24 * 3_600_000);
  let last: number | undefined;
  // A schedule that fires every minute walks 11,520 steps here at most: bounded, and rare.
  for (let steps = 0; steps < 20_000; steps++) {
    at = job.nextRun(at);
    if (!at || at.getTime() > now) break;
    last = at.getTime();
  }
  return last;
}

/** Of several schedules, the count of the one that fired last (and when), or undefined. */
export function activeSchedule<T extends { cron: string; tz: string; count: number }>(schedules: readonly T[], now: number): { schedule: T; firedAt: number } | undefined {
  let best: { schedule: T; firedAt: number } | undefined;
  for (const schedule of schedules) {
    const firedAt = lastFired(schedule.cron, schedule.tz, now);
    if (firedAt !== undefined && (!best || firedAt > best.firedAt)) best = { schedule, firedAt };
  }
  return best;
}

export function nextFire(cron: string, tz: string, now: number): number | undefined {
  return new Cron(cron, { timezone: tz, paused: true }).nextRun(new Date(now))?.getTime();
}
