// Healing through the real server on the simulated cloud (its instances speak the real protocol from
// a child process): a dead instance is replaced, a cluster-wide silence pauses healing instead, a
// flapping instance is replaced once, a dry run only writes, and bad policies are refused.
import test, { type ExecutionContext } from 'ava';
import { createTestScalarium, type TestScalarium } from '../../test/helpers/harness.ts';
import { until } from '../../test/helpers/until.ts';
import { createCluster, listEventRuns } from '../../server/db/clusters.ts';
import { listInstances } from '../../server/db/instances.ts';
import { queryAudit } from '../../server/db/audit.ts';
import { reconcileCluster } from '../../server/core/cluster-service.ts';
import { PROVIDER, simulatedCloud } from '../provider-simulated/index.ts';
import { createToken, findUserByName } from '../../server/plugin-api.ts';
import type { HealingAnswer } from './service.ts';

async function server(t: ExecutionContext): Promise<TestScalarium> {
  // Metrics every second: with them, a healthy instance is never silent for more than a second.
  const s = await createTestScalarium({ env: { SCALARIUM_METRICS_INTERVAL: '1' } });
  t.teardown(() => s.close());
  s.scalarium.providers.set(PROVIDER, simulatedCloud(s.scalarium).provider);
  return s;
}

/** A simulated cluster, online, whose healing suspects after 3 s and replaces after 5 s. */
async function cluster(s: TestScalarium, name: string, apps: number, policy: Record<string, unknown> = {}) {
  const c = await createCluster(s.scalarium.db, name, PROVIDER, {}, [{ name: 'app', count: apps }, { name: 'router', count: 1 }]);
  await reconcileCluster(s.scalarium, c);
  const set = await s.api('PUT', `/api/clusters/${name}/healing`, { suspectAfter: '3s', replaceAfter: '5s', ...policy });
  if (set.status !== 200) throw new Error(JSON.stringify(set.body));
  return c;
}

const healing = async (s: TestScalarium, name: string) => (await s.api('GET', `/api/clusters/${name}/healing?limit=500`)).body as HealingAnswer;
const kinds = async (s: TestScalarium, name: string, instance?: string) =>
  (await healing(s, name)).events.filter((e) => !instance || e.instance === instance).map((e) => e.kind).reverse();

test('a killed instance is suspect, then replaced: booted again, set up, configure reaches every instance, audited', async (t) => {
  const s = await server(t);
  const c = await cluster(s, 'heal', 4);
  const cloud = simulatedCloud(s.scalarium);
  const before = Math.max(0, ...(await listEventRuns(s.scalarium.db, c.id, 100_000)).map((r) => r.id));
  await cloud.kill(['heal-app-2']);
  await until('heal-app-2 replaced and online again', async () => {
    const k = await kinds(s, 'heal', 'heal-app-2');
    return k.includes('replaced') && s.scalarium.hub.peer('heal-app-2') !== undefined &&
      (await listInstances(s.scalarium.db, c.id)).find((i) => i.id === 'heal-app-2')?.state === 'online';
  }, { timeoutMs: 30_000 });
  t.deepEqual((await kinds(s, 'heal', 'heal-app-2')).slice(0, 3), ['suspect', 'replacing', 'replaced']);
  const replacing = (await healing(s, 'heal')).events.find((e) => e.kind === 'replacing')!;
  t.regex(replacing.reason, /^no heartbeat for [5-9] s \(replaced after 5 s\)$/);
  const runs = (await listEventRuns(s.scalarium.db, c.id, 100_000)).filter((r) => r.id > before);
  await until('configure on every online instance after the replacement', async () => {
    const after = (await listEventRuns(s.scalarium.db, c.id, 100_000)).filter((r) => r.id > before && r.event === 'configure' && r.status === 'succeeded');
    const online = (await listInstances(s.scalarium.db, c.id)).filter((i) => i.state === 'online' && i.role === 'app');
    return online.length === 4 && online.every((i) => after.some((r) => r.instanceId === i.id));
  });
  t.true(runs.some((r) => r.event === 'setup' && r.instanceId === 'heal-app-2'), 'the replacement was set up');
  const audit = (await queryAudit(s.scalarium.db, { actor: 'healing' })).filter((a) => a.action === 'instance.replace');
  t.is(audit.length, 1);
  t.like(audit[0], { actor: 'healing', target: 'heal-app-2' });
  t.is((await kinds(s, 'heal')).filter((k) => k === 'replacing').length, 1, 'nothing else was replaced');
});

test('a partition (the server hears no instance at once) pauses healing with the reason; nothing is replaced', async (t) => {
  const s = await server(t);
  // Replaced after 8 s: the instances' last words may lie a few seconds apart on a busy machine, and
  // the first to pass replaceAfter must find the others suspect already (as with 15 s / 30 s).
  const c = await cluster(s, 'islands', 4, { replaceAfter: '8s' });
  const cloud = simulatedCloud(s.scalarium);
  const ids = (await listInstances(s.scalarium.db, c.id)).map((i) => i.id);
  await cloud.mute(ids, 12_000);
  const paused = await until('healing paused', async () => (await healing(s, 'islands')).paused, { timeoutMs: 10_000 });
  t.regex(paused, /^5 of 5 instances are silent at once \(more than half\)/);
  const page = await s.api('GET', '/api/clusters/islands/healing');
  t.regex(JSON.stringify(page.body), /healing waits/);
  await until('healing resumed', async () => (await kinds(s, 'islands')).includes('resumed'), { timeoutMs: 20_000 });
  const k = await kinds(s, 'islands');
  t.false(k.includes('replacing'), k.join(', '));
  t.true(k.includes('paused'));
  t.deepEqual((await listInstances(s.scalarium.db, c.id)).map((i) => i.state), ['online', 'online', 'online', 'online', 'online']);
});

test('an instance that keeps going away and coming back is replaced once, then left alone', async (t) => {
  const s = await server(t);
  await cluster(s, 'flappy', 3);
  const cloud = simulatedCloud(s.scalarium);
  for (let i = 0; i < 3; i++) {
    await cloud.mute(['flappy-app-1'], 3_800);
    await until(`return ${i + 1}`, async () => (await kinds(s, 'flappy', 'flappy-app-1')).filter((k) => k === 'recovered').length === i + 1, { timeoutMs: 10_000 });
  }
  await until('replaced', async () => (await kinds(s, 'flappy', 'flappy-app-1')).includes('replaced'), { timeoutMs: 10_000 });
  const replacing = (await healing(s, 'flappy')).events.filter((e) => e.kind === 'replacing');
  t.is(replacing.length, 1);
  t.regex(replacing[0]!.reason, /^flapping: silent for over 3 s 3 times in 5 min$/);
  await until('flappy-app-1 back', () => s.scalarium.hub.peer('flappy-app-1') !== undefined, { timeoutMs: 10_000 });
  await new Promise((r) => setTimeout(r, 2_000));
  t.is((await healing(s, 'flappy')).events.filter((e) => e.kind === 'replacing').length, 1, 'not replaced again');
});

test('a dry run writes what it would do and does nothing', async (t) => {
  const s = await server(t);
  const c = await cluster(s, 'dry', 3, { dryRun: true });
  await simulatedCloud(s.scalarium).kill(['dry-app-3']);
  await until('the decision', async () => (await kinds(s, 'dry', 'dry-app-3')).includes('would-replace'), { timeoutMs: 15_000 });
  const decision = (await healing(s, 'dry')).events.find((e) => e.kind === 'would-replace')!;
  t.regex(decision.reason, /^dry run: would replace it: no heartbeat for \d+ s/);
  t.is((await listInstances(s.scalarium.db, c.id)).find((i) => i.id === 'dry-app-3')?.state, 'online', 'not given up on');
  t.is((await kinds(s, 'dry', 'dry-app-3')).filter((k) => k === 'would-replace').length, 1, 'written once');
  const answer = await healing(s, 'dry');
  t.is(answer.policy.described, 'dry run: suspect after 3s of silence, replaced after 5s');
  t.like(answer.instances.find((i) => i.instance === 'dry-app-3'), { status: 'suspect' });
});

test('bad policies are refused with what to do and change nothing; who may read and change it', async (t) => {
  const s = await server(t);
  await createCluster(s.scalarium.db, 'strict', PROVIDER, {}, [{ name: 'app', count: 0 }]);
  const cases: Array<[unknown, RegExp]> = [
    [{ replaceAfter: '10s' }, /replaceAfter \(10s\) must be longer than suspectAfter \(15s\)/],
    [{ suspectAfter: 'soon' }, /suspectAfter must be a duration from 1s to 1h/],
    [{ enabled: 'yes' }, /enabled must be true or false/],
    [{ heal: true }, /the body takes enabled, dryRun, suspectAfter and replaceAfter only, not heal/],
  ];
  for (const [body, reason] of cases) {
    const out = await s.api('PUT', '/api/clusters/strict/healing', body);
    t.is(out.status, 400, JSON.stringify(body));
    t.regex(JSON.stringify(out.body), reason);
  }
  t.is((await healing(s, 'strict')).policy.described, 'suspect after 15s of silence, replaced after 30s', 'nothing stored');
  t.is((await s.api('GET', '/api/clusters/nowhere/healing')).status, 404);
  t.is((await s.api('PUT', '/api/clusters/nowhere/healing', { enabled: false })).status, 404);
  // A deployer token of one app is told it is scoped to that app; a cluster viewer reads but may not change.
  const admin = await findUserByName(s.scalarium.db, 'admin');
  const deployer = await createToken(s.scalarium.db, admin!.id, { name: 'shop-deployer', scope: { kind: 'app', name: 'shop' }, role: 'deployer' });
  t.is((await s.api('GET', '/api/clusters/strict/healing', undefined, deployer)).status, 403);
  t.is((await s.api('PUT', '/api/clusters/strict/healing', { enabled: false }, deployer)).status, 403);
  t.is((await s.api('POST', '/api/users', { name: 'vera' })).status, 201);
  t.is((await s.api('POST', '/api/access', { user: 'vera', cluster: 'strict', role: 'viewer' })).status, 201);
  const vera = await createToken(s.scalarium.db, (await findUserByName(s.scalarium.db, 'vera'))!.id, { name: 't' });
  t.is((await s.api('GET', '/api/clusters/strict/healing', undefined, vera)).status, 200);
  t.is((await s.api('PUT', '/api/clusters/strict/healing', { enabled: false }, vera)).status, 403);
  t.is((await healing(s, 'strict')).policy.enabled, true);

  t.is((await s.api('PUT', '/api/clusters/strict/healing', { enabled: false })).status, 200);
  t.is((await healing(s, 'strict')).policy.described, 'off');
  const audited = await s.scalarium.db('audit').where({ action: 'healing.policy' }).select('actor', 'target');
  t.true(audited.some((a: { actor: string; target: string }) => a.actor === 'admin' && a.target === 'strict'));
});
