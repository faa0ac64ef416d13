// Cron schedules in a time zone: checked with what is wrong, the last firing found, the latest of
// several wins.
import test from 'ava';
import { activeSchedule, checkSchedule, lastFired, nextFire } from './schedule.ts';

// Tuesday 2026-12-08 10:30 in Berlin (09:30 UTC).
const TUESDAY = Date.parse('2026-12-08T09:30:00Z');

test('bad cron expressions and time zones say what is wrong', (t) => {
  t.is(checkSchedule('0 8 * * 1-5', 'Europe/Berlin'), undefined);
  t.regex(checkSchedule('0 8 * * 1-5', 'Mars/Olympus') ?? '', /time zone "Mars\/Olympus" is unknown: give an IANA name like Europe\/Berlin or UTC/);
  t.regex(checkSchedule('0 8 * *', 'UTC') ?? '', /a cron expression has 5 fields/);
  t.regex(checkSchedule('61 8 * * *', 'UTC') ?? '', /cron "61 8 \* \* \*" is not valid: .*minute/);
  t.regex(checkSchedule('0 8 * * * *', 'UTC') ?? '', /5 fields/, 'no seconds field');
});

test('the schedule that fired last sets the count; in its own time zone', (t) => {
  const morning = { id: 1, cron: '0 8 * * 1-5', tz: 'Europe/Berlin', count: 8 };
  const evening = { id: 2, cron: '0 20 * * *', tz: 'Europe/Berlin', count: 2 };
  t.is(new Date(lastFired(morning.cron, morning.tz, TUESDAY)!).toISOString(), '2026-12-08T07:00:00.000Z');
  t.is(activeSchedule([morning, evening], TUESDAY)?.schedule.count, 8);
  const lateEvening = Date.parse('2026-12-08T21:00:00Z');
  t.is(activeSchedule([morning, evening], lateEvening)?.schedule.count, 2);
  // Saturday morning: the weekday schedule last fired on Friday, the evening one on Friday night.
  t.is(activeSchedule([morning, evening], Date.parse('2026-12-12T09:00:00Z'))?.schedule.count, 2);
  t.is(new Date(nextFire(morning.cron, morning.tz, lateEvening)!).toISOString(), '2026-12-09T07:00:00.000Z');
  t.is(activeSchedule([], TUESDAY), undefined);
});
