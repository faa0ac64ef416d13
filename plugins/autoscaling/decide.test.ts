// The decisions alone: step thresholds with windows and cooldowns, target tracking with its
// tolerance and stabilisation, and the bounds.
import test from 'ava';
import { decide, STABILISATION_MS, type Memory, type StepPolicy, type TargetPolicy } from './decide.ts';
import { metricOf } from './metrics.ts';

const cpu = metricOf('role', 'cpu')!;
const p95 = metricOf('formation', 'p95')!;
const NOW = 10_000_000;
const step: StepPolicy = { mode: 'step', min: 2, max: 5, above: 70, below: 30, upForMs: 300_000, downForMs: 300_000, step: 1, upCooldownMs: 300_000, downCooldownMs: 300_000 };
const target: TargetPolicy = { mode: 'target', min: 1, max: 10, target: 200, windowMs: 60_000, upCooldownMs: 0, downCooldownMs: 0 };

test('step: above the up threshold adds a step, with the reason people read', (t) => {
  t.deepEqual(decide(step, cpu, { up: 84.2, down: 84.2 }, 3, 2, {}, NOW), { to: 4, reason: 'cpu 84 % > 70 % for 5 min' });
  t.deepEqual(decide(step, cpu, { up: 12, down: 12 }, 3, 2, {}, NOW), { to: 2, reason: 'cpu 12 % < 30 % for 5 min' });
  t.is(decide(step, cpu, { up: 50, down: 50 }, 3, 2, {}, NOW), undefined, 'between the thresholds: nothing');
  t.is(decide(step, cpu, { up: null, down: null }, 3, 2, {}, NOW), undefined, 'nothing measured: nothing');
});

test('step: never past max or below the floor; cooldowns per direction; bounds first', (t) => {
  t.is(decide(step, cpu, { up: 99, down: 99 }, 5, 2, {}, NOW), undefined, 'at max');
  t.is(decide(step, cpu, { up: 5, down: 5 }, 2, 2, {}, NOW), undefined, 'at the floor');
  t.is(decide(step, cpu, { up: 5, down: 5 }, 4, 4, {}, NOW), undefined, 'a schedule\'s floor holds');
  t.is(decide(step, cpu, { up: 99, down: 99 }, 3, 2, { lastChangeAt: NOW - 60_000 }, NOW), undefined, 'cooling down');
  t.like(decide(step, cpu, { up: 99, down: 99 }, 3, 2, { lastChangeAt: NOW - 300_000 }, NOW), { to: 4 });
  t.deepEqual(decide(step, cpu, { up: 50, down: 50 }, 1, 2, { lastChangeAt: NOW }, NOW), { to: 2, reason: 'below the floor of 2' });
  t.deepEqual(decide(step, cpu, { up: 50, down: 50 }, 9, 2, { lastChangeAt: NOW }, NOW), { to: 5, reason: 'above the maximum of 5' });
  t.like(decide({ ...step, step: 3 }, cpu, { up: 99, down: 99 }, 4, 2, {}, NOW), { to: 5 }, 'a big step stops at max');
});

test('target tracking: ceil(current × metric / target), nothing within 10 %, down only to the highest recent recommendation', (t) => {
  t.deepEqual(decide(target, p95, { up: 450, down: 450 }, 2, 1, {}, NOW), { to: 5, reason: 'p95 450 ms against a target of 200 ms: ceil(2 × 2.25) = 5' });
  t.is(decide(target, p95, { up: 215, down: 215 }, 2, 1, {}, NOW), undefined, 'within the tolerance');
  const memory: Memory = {};
  t.is(decide(target, p95, { up: 400, down: 400 }, 4, 1, memory, NOW - STABILISATION_MS + 60_000)?.to, 8);
  // Load fell: the recommendation is 2, but 8 was recommended within the window.
  t.is(decide(target, p95, { up: 100, down: 100 }, 8, 1, memory, NOW), undefined);
  t.is(memory.recommendations?.length, 2);
  // Once the high recommendation is older than the window, it goes down.
  t.deepEqual(decide(target, p95, { up: 100, down: 100 }, 8, 1, memory, NOW + 120_000), { to: 4, reason: 'p95 100 ms against a target of 200 ms: the highest recommendation of the last 5 min is 4' });
  t.like(decide(target, p95, { up: 5000, down: 5000 }, 4, 1, {}, NOW), { to: 10 }, 'never past max');
});
