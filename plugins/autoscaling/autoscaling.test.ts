// Autoscaling through the real server on the simulated cloud, whose instances report the load their
// cluster's settings give them (and their processes a share of it) through the real metrics path
// into the monitoring plugin: roles scale up on CPU and down again (drained), a process type tracks
// a CPU target, a schedule sets the count, a dry run only writes, and bad policies are refused.
import test, { type ExecutionContext } from 'ava';
import { createTestScalarium, type TestScalarium } from '../../test/helpers/harness.ts';
import { until } from '../../test/helpers/until.ts';
import { createCluster, listEventRuns, listRoles, type ClusterSettings } from '../../server/db/clusters.ts';
import { listInstances } from '../../server/db/instances.ts';
import { reconcileCluster } from '../../server/core/cluster-service.ts';
import { createToken, findUserByName } from '../../server/plugin-api.ts';
import { PROVIDER, simulatedCloud } from '../provider-simulated/index.ts';
import type { AutoscaleAnswer } from './service.ts';

async function server(t: ExecutionContext): Promise<TestScalarium> {
  // Metrics every second and an evaluation every second: a 10 s window fills in seconds.
  const s = await createTestScalarium({ env: { SCALARIUM_METRICS_INTERVAL: '1', SCALARIUM_AUTOSCALE_INTERVAL: '1' } });
  t.teardown(() => s.close());
  s.scalarium.providers.set(PROVIDER, simulatedCloud(s.scalarium).provider);
  return s;
}

async function cluster(s: TestScalarium, name: string, apps: number, settings: Record<string, number>) {
  const c = await createCluster(s.scalarium.db, name, PROVIDER, settings as ClusterSettings, [{ name: 'app', count: apps }, { name: 'router', count: 1 }]);
  await reconcileCluster(s.scalarium, c);
  return c;
}

const ok = (out: { status: number; body: unknown }, status = 200) => {
  if (out.status !== status) throw new Error(`${out.status}: ${JSON.stringify(out.body)}`);
  return out.body;
};
const count = async (s: TestScalarium, clusterId: number) => (await listRoles(s.scalarium.db, clusterId)).find((r) => r.name === 'app')!.count;
const online = async (s: TestScalarium, clusterId: number) => (await listInstances(s.scalarium.db, clusterId)).filter((i) => i.role === 'app' && i.state === 'online').length;

test('a role scales up while its CPU is above the threshold, to max and no further; each step is explained and audited', async (t) => {
  const s = await server(t);
  const c = await cluster(s, 'busy', 1, { cpuPercent: 90, cpuJitter: 2 });
  const policy = ok(await s.api('PUT', '/api/clusters/busy/autoscale/app', { metric: 'cpu', min: 1, max: 3, above: 70, below: 20, for: '10s', cooldown: '0s' })) as { described: string };
  t.is(policy.described, '+1 when cpu > 70 % for 10s, -1 when cpu < 20 % for 10s within 1-3, cooldown 0s');
  await until('3 app instances online', async () => (await count(s, c.id)) === 3 && (await online(s, c.id)) === 3, { timeoutMs: 60_000 });
  const answer = ok(await s.api('GET', '/api/clusters/busy/autoscale')) as AutoscaleAnswer;
  const ups = answer.decisions.filter((d) => d.source === 'load').reverse();
  t.deepEqual(ups.map((d) => [d.from, d.to]), [[1, 2], [2, 3]]);
  t.regex(ups[0]!.reason, /^cpu (8[5-9]|9\d) % > 70 % for 10 s$/);
  t.like(answer.targets[0], { role: 'app', current: 3 });
  t.regex(answer.targets[0]!.lastReading?.value ?? '', /^\d+ %$/);
  await new Promise((r) => setTimeout(r, 3_000));
  t.is(await count(s, c.id), 3, 'max holds');
  const audit = await s.scalarium.db('audit').where({ action: 'autoscale.scale', actor: 'autoscaling' });
  t.is(audit.length, 2);
});

test('a role scales down while its CPU is below the threshold, through the shutdown event, to min', async (t) => {
  const s = await server(t);
  const c = await cluster(s, 'idle', 3, { cpuPercent: 5, cpuJitter: 2 });
  ok(await s.api('PUT', '/api/clusters/idle/autoscale/app', { metric: 'cpu', min: 1, max: 5, above: 80, below: 20, for: '10s', cooldown: '0s' }));
  await until('1 app instance left', async () => (await count(s, c.id)) === 1 && (await online(s, c.id)) === 1, { timeoutMs: 60_000 });
  await until('both through the shutdown event', async () => (await listEventRuns(s.scalarium.db, c.id, 100_000)).filter((r) => r.event === 'shutdown' && r.status === 'succeeded').length === 2);
  const answer = ok(await s.api('GET', '/api/clusters/idle/autoscale')) as AutoscaleAnswer;
  t.regex(answer.decisions[0]!.reason, /^cpu \d(\.\d)? % < 20 % for 10 s$/);
});

test('a process type tracks a CPU target: ceil(current × metric / target)', async (t) => {
  const s = await server(t);
  await cluster(s, 'tracked', 1, { cpuPercent: 40, cpuJitter: 0 });
  ok(await s.api('POST', '/api/apps', { name: 'shop', cluster: 'tracked' }), 201);
  await s.deployFakeRelease('shop', { processTypes: { web: 'node server.js' } });
  // One web process gets all of the instance's 2 cores × 40 % = 80 % of one core; the target is 30 %.
  ok(await s.api('PUT', '/api/apps/shop/autoscale/web', { metric: 'cpu', min: 1, max: 4, target: 30, for: '10s', cooldown: '0s' }));
  await until('3 web processes', async () => ((await s.api('GET', '/api/apps/shop/ps')).body as unknown[]).length === 3, { timeoutMs: 60_000 });
  const answer = ok(await s.api('GET', '/api/apps/shop/autoscale')) as AutoscaleAnswer;
  const decision = answer.decisions.find((d) => d.source === 'target')!;
  t.like(decision, { from: 1, to: 3, type: 'web' });
  t.regex(decision.reason, /^cpu 80 % against a target of 30 %: ceil\(1 × 2\.67\) = 3$/);
  await new Promise((r) => setTimeout(r, 3_000));
  t.is(((await s.api('GET', '/api/apps/shop/ps')).body as unknown[]).length, 3, 'within the tolerance at 3 (80/3 = 27 %)');
  const audited = await s.scalarium.db('audit').where({ action: 'formation.change', actor: 'autoscaling' });
  t.true(audited.length >= 1);
});

test('a schedule sets the count when it fires; a dry run writes what it would do and changes nothing', async (t) => {
  const s = await server(t);
  const c = await cluster(s, 'timed', 1, { cpuPercent: 20 });
  const made = ok(await s.api('POST', '/api/clusters/timed/autoscale/app/schedules', { count: 2, cron: '* * * * *', tz: 'Europe/Berlin' }), 201) as { id: number; next: string };
  t.true(Date.parse(made.next) > Date.now());
  await until('2 app instances', async () => (await count(s, c.id)) === 2 && (await online(s, c.id)) === 2, { timeoutMs: 30_000 });
  let answer = ok(await s.api('GET', '/api/clusters/timed/autoscale')) as AutoscaleAnswer;
  t.regex(answer.decisions[0]!.reason, /^schedule "\* \* \* \* \*" \(Europe\/Berlin\) fired .*: 2 instance\(s\)$/);
  t.is(answer.targets[0]!.schedules[0]!.cron, '* * * * *');
  ok(await s.api('DELETE', `/api/clusters/timed/autoscale/schedules/${made.id}`), 204);

  // A dry run: CPU 20 % is above 10 %, so it would add one; nothing changes.
  ok(await s.api('PUT', '/api/clusters/timed/autoscale/app', { metric: 'cpu', min: 1, max: 4, above: 10, for: '10s', cooldown: '0s', dryRun: true }));
  await until('a dry decision', async () => ((ok(await s.api('GET', '/api/clusters/timed/autoscale')) as AutoscaleAnswer).decisions.some((d) => d.dryRun)), { timeoutMs: 40_000 });
  answer = ok(await s.api('GET', '/api/clusters/timed/autoscale')) as AutoscaleAnswer;
  t.like(answer.decisions.find((d) => d.dryRun), { from: 2, to: 3, source: 'load' });
  t.is(await count(s, c.id), 2, 'nothing changed');
  t.regex(answer.targets[0]!.policy!.described, /^dry run: /);
});

test('bad policies and schedules are refused with what to do, nothing stored; who may change them', async (t) => {
  const s = await server(t);
  await createCluster(s.scalarium.db, 'strict', PROVIDER, {}, [{ name: 'app', count: 0 }]);
  const put = (body: unknown, role = 'app') => s.api('PUT', `/api/clusters/strict/autoscale/${role}`, body);
  const cases: Array<[unknown, RegExp, string?]> = [
    [{ metric: 'cpu', min: 5, max: 2, above: 70 }, /min \(5\) must not be above max \(2\)/],
    [{ metric: 'cpu', min: -1, max: 2, above: 70 }, /min must be a whole number from 0 to 100/],
    [{ metric: 'cpu', min: 1, max: 2, above: 170 }, /above must be from 0 to 100 for cpu/],
    [{ metric: 'cpu', min: 1, max: 2, above: 30, below: 70 }, /below \(70\) must be under above \(30\)/],
    [{ metric: 'cpu', min: 1, max: 2 }, /give above and\/or below \(step scaling\) or a target/],
    [{ metric: 'p95', min: 1, max: 2, above: '300ms' }, /metric "p95" is not one a role scales on: cpu, memory, load/],
    [{ metric: 'cpu', min: 1, max: 2, above: 70, for: '1s' }, /for must be a duration from 10s to 1h/],
    [{ metric: 'cpu', min: 1, max: 2, above: 70, limit: 3 }, /the body takes min, max, .* only, not limit/],
    [{ metric: 'cpu', min: 1, max: 2, above: 70 }, /cluster strict has no role "db" \(it has app\)/, 'db'],
  ];
  for (const [body, reason, role] of cases) {
    const out = await put(body, role);
    t.is(out.status, 400, JSON.stringify(body));
    t.regex((out.body as { error: { message: string } }).error.message, reason);
  }
  const schedule = (body: unknown) => s.api('POST', '/api/clusters/strict/autoscale/app/schedules', body);
  for (const [body, reason] of [
    [{ count: 2, cron: '0 25 * * *' }, /cron "0 25 \* \* \*" is not valid/],
    [{ count: 2, cron: '0 8 * * *', tz: 'Europe/Nowhere' }, /time zone "Europe\/Nowhere" is unknown/],
    [{ count: -2, cron: '0 8 * * *' }, /count must be a whole number from 0 to 100/],
  ] as Array<[unknown, RegExp]>) {
    const out = await schedule(body);
    t.is(out.status, 400, JSON.stringify(body));
    t.regex((out.body as { error: { message: string } }).error.message, reason);
  }
  const answer = ok(await s.api('GET', '/api/clusters/strict/autoscale')) as AutoscaleAnswer;
  t.deepEqual(answer.targets, [], 'nothing stored');
  t.is((await s.api('DELETE', '/api/clusters/strict/autoscale/app')).status, 404);
  t.is((await s.api('DELETE', '/api/clusters/strict/autoscale/schedules/99')).status, 404);
  t.is((await s.api('GET', '/api/clusters/nowhere/autoscale')).status, 404);

  const admin = await findUserByName(s.scalarium.db, 'admin');
  const deployer = await createToken(s.scalarium.db, admin!.id, { name: 'shop-deployer', scope: { kind: 'app', name: 'shop' }, role: 'deployer' });
  t.is((await s.api('PUT', '/api/clusters/strict/autoscale/app', { metric: 'cpu', min: 1, max: 2, above: 70 }, deployer)).status, 403);
  t.is((await s.api('GET', '/api/clusters/strict/autoscale', undefined, deployer)).status, 403);
  ok(await s.api('PUT', '/api/clusters/strict/autoscale/app', { metric: 'cpu', min: 1, max: 2, above: 70 }));
  ok(await s.api('DELETE', '/api/clusters/strict/autoscale/app'), 204);
  const audited = (await s.scalarium.db('audit').whereIn('action', ['autoscale.policy', 'autoscale.remove']).select('action')).map((a: { action: string }) => a.action);
  t.deepEqual(audited.sort(), ['autoscale.policy', 'autoscale.remove']);
});
