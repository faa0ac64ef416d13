import test from 'ava';
import { breaks, step } from './state-machine.ts';

const T = Date.UTC(2026, 11, 1, 10);
const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

test('pending for the duration, then firing once; resolved once when the condition ends', (t) => {
  let s: ReturnType<typeof step> = { state: 'ok', since: iso(T) };
  const told: string[] = [];
  for (let minute = 0; minute <= 12; minute++) {
    s = step(s, minute < 10, T + minute * MIN, 5 * MIN);
    if (s.notify) told.push(`${minute}:${s.notify}`);
    if (minute === 0) t.is(s.state, 'pending');
    if (minute === 4) t.is(s.state, 'pending');
  }
  t.deepEqual(told, ['5:firing', '10:resolved']);
  t.is(s.state, 'ok');
});

test('a condition that flaps inside the duration never fires; a duration of 0 fires at once', (t) => {
  let s: ReturnType<typeof step> = { state: 'ok', since: iso(T) };
  for (let k = 0; k < 20; k++) {
    s = step(s, k % 2 === 0, T + k * MIN, 5 * MIN);
    t.falsy(s.notify);
  }
  t.like(step({ state: 'ok', since: iso(T) }, true, T, 0), { state: 'firing', notify: 'firing' });
});

test('a clock that jumps back restarts the pending time instead of firing early or never', (t) => {
  const pending = step({ state: 'ok', since: iso(T) }, true, T, 5 * MIN);
  const back = step(pending, true, T - 60 * MIN, 5 * MIN);
  t.like(back, { state: 'pending', since: iso(T - 60 * MIN) });
  t.falsy(back.notify);
  t.like(step(back, true, T - 56 * MIN, 5 * MIN), { state: 'pending' });
  t.like(step(back, true, T - 55 * MIN, 5 * MIN), { state: 'firing', notify: 'firing' });
});

test('above and below; no figure breaks nothing', (t) => {
  t.true(breaks(501, 'above', 500));
  t.false(breaks(500, 'above', 500));
  t.true(breaks(0.5, 'below', 1));
  t.false(breaks(null, 'below', 1));
  t.false(breaks(null, 'above', 1));
});
