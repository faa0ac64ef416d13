import test from 'ava';
import { planRollout } from './index.ts';
import type { ProcessRow } from '../../server/db/processes.ts';
import type { Release } from '../../server/db/releases.ts';

const release = (version: number, types: Record<string, string> = { web: 'node s.js', worker: 'node w.js' }) =>
  ({ version, processTypes: types }) as Release;
const proc = (id: string, type: string, version: number, state: ProcessRow['state'] = 'ready'): ProcessRow =>
  ({ id, appId: 1, instanceId: 'i', type, release: version, state, routed: type === 'web', port: 1, restarts: 0, startedAt: null });

test('a new release replaces every process', (t) => {
  const plan = planRollout([proc('a', 'web', 1), proc('b', 'worker', 1)], { release: release(2), formation: { web: 2, worker: 1 }, replace: false });
  t.deepEqual(plan.keep, []);
  t.deepEqual(plan.stop.map((p) => p.id), ['a', 'b']);
  t.deepEqual(plan.start, [{ type: 'web', index: 1 }, { type: 'web', index: 2 }, { type: 'worker', index: 1 }]);
});

test('scaling the same release keeps what runs and only adds or removes', (t) => {
  const up = planRollout([proc('a', 'web', 2)], { release: release(2), formation: { web: 3 }, replace: false });
  t.deepEqual(up.keep.map((p) => p.id), ['a']);
  t.deepEqual(up.start, [{ type: 'web', index: 2 }, { type: 'web', index: 3 }]);
  t.deepEqual(up.stop, []);
  const down = planRollout([proc('a', 'web', 2), proc('b', 'web', 2), proc('c', 'web', 2)], { release: release(2), formation: { web: 1 }, replace: false });
  t.deepEqual(down.keep.map((p) => p.id), ['a']);
  t.deepEqual(down.stop.map((p) => p.id), ['b', 'c']);
  t.deepEqual(down.start, []);
});

test('replace restarts everything in scope and leaves other types alone', (t) => {
  const plan = planRollout([proc('a', 'web', 2), proc('b', 'worker', 2)], { release: release(2), formation: { web: 1, worker: 1 }, replace: true, onlyTypes: ['web'] });
  t.deepEqual(plan.keep.map((p) => p.id), ['b']);
  t.deepEqual(plan.stop.map((p) => p.id), ['a']);
  t.deepEqual(plan.start, [{ type: 'web', index: 1 }]);
});

test('processes that are not ready are replaced, types the release lacks are stopped', (t) => {
  const plan = planRollout([proc('a', 'web', 2, 'crashed'), proc('z', 'legacy', 1)], { release: release(2, { web: 'x' }), formation: { web: 1, legacy: 1 }, replace: false });
  t.deepEqual(plan.stop.map((p) => p.id).sort(), ['a', 'z']);
  t.deepEqual(plan.start, [{ type: 'web', index: 1 }]);
});
