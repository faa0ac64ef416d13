// The simulated provider on the real server (test/helpers/harness.ts): its instances live in a child
// process, connect over real WebSockets with real tokens, go through the real lifecycle, report
// load, take processes and route tables — and run nothing.
import test, { type ExecutionContext } from 'ava';
import { createTestScalarium, type TestScalarium } from '../../test/helpers/harness.ts';
import { createCluster, listEventRuns, type ClusterSettings } from '../../server/db/clusters.ts';
import { findCluster, listInstances } from '../../server/db/instances.ts';
import { reconcileCluster } from '../../server/core/cluster-service.ts';
import { PROVIDER, simulatedCloud } from './index.ts';

async function server(t: ExecutionContext): Promise<TestScalarium> {
  // Metrics every second, so that a test sees some within its few seconds.
  const s = await createTestScalarium({ env: { SCALARIUM_METRICS_INTERVAL: '1' } });
  t.teardown(() => s.close());
  // The harness stubs every provider but the null one; this test is about the real simulated one.
  s.scalarium.providers.set(PROVIDER, simulatedCloud(s.scalarium).provider);
  return s;
}

/**
 * A simulated cluster with its settings, brought to its role counts (resolves once every boot has
 * ended, online or failed). Made with core's functions, not POST /api/clusters: the API's settings
 * schema keeps only core's own keys (see the last test).
 */
async function simulatedCluster(s: TestScalarium, name: string, roles: Record<string, number>, settings: Record<string, number> = {}) {
  const cluster = await createCluster(s.scalarium.db, name, PROVIDER, settings as ClusterSettings, Object.entries(roles).map(([role, count]) => ({ name: role, count })));
  await reconcileCluster(s.scalarium, cluster);
  return cluster;
}

const states = async (s: TestScalarium, clusterId: number) =>
  Object.fromEntries((await listInstances(s.scalarium.db, clusterId)).map((i) => [i.id, `${i.state}${i.failure ? `: ${i.failure}` : ''}`]));

const until = async (what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

test('a cluster of 50 simulated instances comes online through the real server; nothing runs in the server process', async (t) => {
  const s = await server(t);
  const cluster = await simulatedCluster(s, 'fleet', { app: 49, router: 1 }, { bootMs: 300 });
  const rows = await listInstances(s.scalarium.db, cluster.id);
  t.is(rows.length, 50);
  t.deepEqual(rows.filter((i) => i.state !== 'online').map((i) => i.id), []);
  for (const row of rows) {
    t.is(s.scalarium.hub.peer(row.id)?.pid, 0, `${row.id} is connected and has no process of its own`);
    t.is(row.address, `${row.id}.simulated`, 'it says what it is where its address shows');
  }
  const runs = await listEventRuns(s.scalarium.db, cluster.id, 100_000);
  t.is(runs.filter((r) => r.event === 'setup' && r.status === 'succeeded').length, 49, 'the real setup event ran on every agent');
  const cloud = simulatedCloud(s.scalarium);
  t.truthy(cloud.hostPid);
  t.not(cloud.hostPid, process.pid, 'the simulated instances live in a child process');
  const status = (await s.api('GET', '/api/status')).body as { notes: Array<{ topic: string; text: string }> };
  t.regex(status.notes.find((n) => n.topic === 'Simulated cloud')?.text ?? '', /simulated instances .* run nothing/);
  t.deepEqual(await s.scalarium.provider(PROVIDER).consoleOutput!(rows[0]!), ['fleet-app-1 is a simulated instance (provider "simulated"): it runs nothing and prints nothing']);
});

test('with a failure rate and a seed exactly the instances the seed picks fail, with their reason, and stay failed', async (t) => {
  const s = await server(t);
  const cluster = await simulatedCluster(s, 'flaky', { app: 20 }, { bootMs: 100, failureRate: 0.25, seed: 42 });
  const after = await states(s, cluster.id);
  const failed = Object.entries(after).filter(([, state]) => state.startsWith('failed'));
  t.deepEqual(failed.map(([id]) => id).sort(), ['flaky-app-10', 'flaky-app-11', 'flaky-app-3', 'flaky-app-9']);
  for (const [, state] of failed) t.is(state, 'failed: the simulated machine failed to boot (as failureRate and seed decided)');
  t.is(Object.values(after).filter((state) => state === 'online').length, 16);
  t.regex(s.output(), /cluster flaky: 4 simulated instance\(s\) of flaky failed/);
  // Another reconcile boots nothing again: a failed instance stays failed, as with other providers.
  await reconcileCluster(s.scalarium, cluster);
  t.deepEqual(await states(s, cluster.id), after);
});

test('each instance reports its load: the cluster\'s metrics show it per instance', async (t) => {
  const s = await server(t);
  await simulatedCluster(s, 'busy', { app: 3, router: 1 }, { cpuPercent: 30, cpuJitter: 10, memoryPercent: 50 });
  type Series = { name: string; labels: { instance?: string }; points: Array<[number, number | null]> };
  const series = async () => ((await s.api('GET', '/api/clusters/busy/metrics?since=5m')).body as { series: Series[] }).series;
  const instances = ['busy-app-1', 'busy-app-2', 'busy-app-3', 'busy-router-1'];
  const ofEach = (all: Series[], name: string) => instances.map((id) => all.find((x) => x.name === name && x.labels.instance === id));
  // The API shows whole 10 s steps only: the first is there within 10 to 20 s.
  await until('cpu and load of every instance', async () => {
    const now = await series();
    return ofEach(now, 'cpu_percent').every(Boolean) && ofEach(now, 'load1').every(Boolean);
  }, 40_000);
  const all = await series();
  for (const one of ofEach(all, 'cpu_percent')) {
    for (const [, value] of one!.points) if (value !== null) t.true(value >= 20 && value <= 40, `cpu ${value} is within 30 ± 10`);
  }
  for (const one of ofEach(all, 'load1')) {
    for (const [, value] of one!.points) if (value !== null) t.true(value >= 0.4 && value <= 0.8, `load ${value} is 2 cores at 20–40 %`);
  }
  const memory = all.find((x) => x.name === 'memory_percent' && x.labels.instance === 'busy-app-1');
  t.true(memory!.points.some(([, value]) => value !== null && value >= 47 && value <= 53));
});

test('an app deployed to the cluster gets its processes placed, and the router instance gets the route table', async (t) => {
  const s = await server(t);
  await simulatedCluster(s, 'web', { app: 3, router: 1 });
  t.is((await s.api('POST', '/api/apps', { name: 'shop', cluster: 'web' })).status, 201);
  await s.deployFakeRelease('shop', { processTypes: { web: 'node server.js', worker: 'node worker.js' } });
  t.is((await s.api('PATCH', '/api/apps/shop/formation', { web: 3, worker: 1 })).status, 200);
  const ps = (await s.api('GET', '/api/apps/shop/ps')).body as Array<{ name: string; state: string; instance: string; port: number | null }>;
  t.deepEqual(ps.map((p) => [p.name, p.state]), [['web.1', 'ready'], ['web.2', 'ready'], ['web.3', 'ready'], ['worker.1', 'ready']]);
  t.true(ps.every((p) => typeof p.port === 'number' && p.port >= 10_000), 'each "runs" on a made-up port');
  const cloud = simulatedCloud(s.scalarium);
  const placed = await Promise.all(['web-app-1', 'web-app-2', 'web-app-3'].map(async (id) => (await cloud.inspect(id))!.processes.length));
  t.is(placed.reduce((a, b) => a + b, 0), 4, 'the simulated agents hold the four processes');
  const table = (await cloud.inspect('web-router-1'))!.table!;
  const backends = table.routes[`shop.${s.scalarium.config.domain}`]!;
  t.is(backends.length, 3);
  t.true(backends.every((b) => /^web-app-\d\.simulated$/.test(b.host)), JSON.stringify(backends));

  t.is((await s.api('PATCH', '/api/apps/shop/formation', { web: 0, worker: 0 })).status, 200);
  const left = await Promise.all(['web-app-1', 'web-app-2', 'web-app-3'].map(async (id) => (await cloud.inspect(id))!.processes.length));
  t.deepEqual(left, [0, 0, 0], 'stopped processes are gone');
});

test('killing instances drops their connections with no goodbye; they stay dead, the others carry on, scaling down terminates', async (t) => {
  const s = await server(t);
  const cluster = await simulatedCluster(s, 'doomed', { app: 5 });
  const cloud = simulatedCloud(s.scalarium);
  const disconnected: string[] = [];
  s.scalarium.hooks.instanceDisconnected.tapPromise('test', async ({ instance }) => void disconnected.push(instance.id));
  await cloud.kill(['doomed-app-2', 'doomed-app-4']);
  t.is(s.scalarium.hub.peer('doomed-app-2'), undefined);
  t.is(s.scalarium.hub.peer('doomed-app-4'), undefined);
  t.deepEqual(['doomed-app-1', 'doomed-app-3', 'doomed-app-5'].map((id) => Boolean(s.scalarium.hub.peer(id))), [true, true, true]);
  t.is(await cloud.inspect('doomed-app-2'), undefined, 'nothing of it is left in the fleet host');
  await until('the disconnections to be told', () => disconnected.length === 2);
  t.deepEqual(disconnected.sort(), ['doomed-app-2', 'doomed-app-4']);
  // No shutdown happened: the server was not told, its rows say online until healing notices.
  t.is((await states(s, cluster.id))['doomed-app-2'], 'online');
  await reconcileCluster(s.scalarium, cluster);
  t.is(s.scalarium.hub.peer('doomed-app-2'), undefined, 'a dead instance is not brought back by the provider');

  t.is((await s.api('PATCH', '/api/clusters/doomed/roles', { app: 3 })).status, 200);
  const after = await states(s, cluster.id);
  t.is(after['doomed-app-4'], 'stopped');
  t.is(after['doomed-app-5'], 'stopped');
  t.is(s.scalarium.hub.peer('doomed-app-5'), undefined, 'a terminated instance went');
  t.true((await listEventRuns(s.scalarium.db, cluster.id, 100_000)).some((r) => r.event === 'shutdown' && r.instanceId === 'doomed-app-5'));
});

test('settings out of range are refused with what they must be', async (t) => {
  const s = await server(t);
  const check = s.scalarium.provider(PROVIDER).checkSettings!;
  t.is(check({}), undefined);
  t.is(check({ bootMs: 1000, failureRate: 0.05, seed: 42, cpuPercent: 30, cpuJitter: 10 } as ClusterSettings), undefined);
  t.is(check({ failureRate: 2 } as ClusterSettings), 'failureRate must be a number from 0 to 1 (the share of boots that fail), got 2');
  t.is(check({ bootMs: 1.5 } as ClusterSettings), 'bootMs must be whole milliseconds from 0 to 600000, got 1.5');
  t.is(check({ cpuPercent: 'lots' } as unknown as ClusterSettings), 'cpuPercent must be a number from 0 to 100, got "lots"');
  t.truthy(await findCluster(s.scalarium.db, 'local'));
});

// The API passes a provider's own settings (scalars core does not know) on to its checkSettings.
test('POST /api/clusters with bad simulated settings answers 400; good ones are kept', async (t) => {
  const s = await server(t);
  const created = await s.api('POST', '/api/clusters', { name: 'bad', provider: PROVIDER, settings: { failureRate: 2 }, roles: { app: 0 } });
  t.is(created.status, 400, JSON.stringify(created.body));
  t.regex(created.body.error.message, /failureRate must be a number from 0 to 1/);
  t.is((await s.api('GET', '/api/clusters/bad')).status, 404, 'nothing stored');
  const good = await s.api('POST', '/api/clusters', { name: 'sim', provider: PROVIDER, settings: { bootMs: 10, seed: 7, retry: { attempts: 1 } }, roles: { app: 0 } });
  t.is(good.status, 201, JSON.stringify(good.body));
  t.like(good.body.settings, { bootMs: 10, seed: 7 });
  t.false('retry' in good.body.settings, 'the server\'s own settings are never taken from a request');
});
