// Two pieces of core on the real server in-process (null provider): the configure event's
// coalescing, and the reconciler putting an app back to its release and formation.
import test from 'ava';
import { createTestScalarium } from '../../test/helpers/harness.ts';
import { configureCluster } from './configure.ts';
import { converged, reconcileApp } from './reconciler.ts';
import { findCluster } from '../db/instances.ts';
import { findApp } from '../db/apps.ts';
import { deleteProcesses, listProcesses, type ProcessRow } from '../db/processes.ts';
import type { Release } from '../db/releases.ts';

test('a burst of configure requests runs the event at most twice: the one running, and one follow-up for all the rest', async (t) => {
  const s = await createTestScalarium();
  t.teardown(() => s.close());
  const cluster = (await findCluster(s.scalarium.db, 'local'))!;
  const runs: string[] = [];
  let release!: () => void;
  const first = new Promise<void>((resolve) => (release = resolve));
  s.scalarium.hooks.configure.tapPromise('test-recorder', async ({ reason }) => {
    runs.push(reason);
    if (runs.length === 1) await first; // the first run is still going while the burst arrives
  });
  const burst = [configureCluster(s.scalarium, cluster, 'r0')];
  await new Promise((resolve) => setImmediate(resolve));
  for (let i = 1; i <= 5; i++) burst.push(configureCluster(s.scalarium, cluster, `r${i}`));
  release();
  await Promise.all(burst);
  t.deepEqual(runs, ['r0', 'r1; r2; r3; r4; r5']);
  t.regex(s.output(), /configure local: 4 earlier request\(s\) superseded/);
});

test('a failing configure fails the requests it served, and the next burst runs again', async (t) => {
  const s = await createTestScalarium();
  t.teardown(() => s.close());
  const cluster = (await findCluster(s.scalarium.db, 'local'))!;
  let fail = true;
  s.scalarium.hooks.configure.tapPromise('test-flaky', async () => {
    if (fail) throw new Error('router unreachable');
  });
  await t.throwsAsync(configureCluster(s.scalarium, cluster, 'first'), { message: 'router unreachable' });
  fail = false;
  await t.notThrowsAsync(configureCluster(s.scalarium, cluster, 'second'));
});

const release = (version: number, processTypes: Record<string, string>): Release =>
  ({ version, slug: 's', commit: null, buildId: null, config: {}, processTypes, description: '', timings: {}, createdBy: 'x', createdAt: '' }) as Release;
const row = (over: Partial<ProcessRow>): ProcessRow =>
  ({ id: 'p', appId: 1, instanceId: 'i1', type: 'web', release: 1, state: 'ready', routed: true, port: 20000, restarts: 0, startedAt: null, ...over });

test('converged: exactly the formation, of the latest release, on online instances, web routed and nothing else', (t) => {
  const online = new Set(['i1']);
  const v1 = release(1, { web: 'x', worker: 'y' });
  const formation = { web: 1, worker: 1 };
  const web = row({});
  const worker = row({ id: 'q', type: 'worker', routed: false });
  t.true(converged([web, worker], v1, formation, online));
  t.false(converged([web], v1, formation, online), 'a worker is missing');
  t.false(converged([web, worker, row({ id: 'r' })], v1, formation, online), 'one web too many');
  t.false(converged([row({ release: 2 }), worker], v1, formation, online), 'another release runs');
  t.false(converged([web, worker], v1, formation, new Set()), 'its instance is not online');
  t.false(converged([row({ routed: false }), worker], v1, formation, online), 'web not routed');
  t.false(converged([web, row({ id: 'q', type: 'worker', routed: true })], v1, formation, online), 'a worker routed');
  t.true(converged([], undefined, {}, online), 'no release, nothing runs');
  t.false(converged([web], undefined, {}, online));
});

test('reconcileApp puts back a process that vanished, through the real deploy path', async (t) => {
  const s = await createTestScalarium();
  t.teardown(() => s.close());
  t.is((await s.api('POST', '/api/apps', { name: 'shop' })).status, 201);
  await s.deployFakeRelease('shop', { processTypes: { web: 'node server.js' } });
  const app = (await findApp(s.scalarium.db, 'shop'))!;
  const [before] = await listProcesses(s.scalarium.db, { appId: app.id });
  await deleteProcesses(s.scalarium.db, [before!.id]);
  await reconcileApp(s.scalarium, app);
  const after = await listProcesses(s.scalarium.db, { appId: app.id });
  t.is(after.length, 1);
  t.like(after[0], { type: 'web', release: 1, state: 'ready', routed: true });
  t.not(after[0]!.id, before!.id, 'a new process');
  await reconcileApp(s.scalarium, app);
  t.deepEqual((await listProcesses(s.scalarium.db, { appId: app.id })).map((p) => p.id), [after[0]!.id], 'converged: nothing changes');
});
