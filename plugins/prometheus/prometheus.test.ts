// GET /metrics through the real server: who may scrape it, the server's own series after real API
// requests, and the per-app and per-instance series from what the null provider's FAKE router and
// agent report (made-up figures: a fake measures nothing). The exposition is parsed by prom-client's
// own format rules (names, labels, HELP/TYPE lines), checked line by line.
import test from 'ava';
import { until } from '../../cli/test-support.ts';
import { createTestScalarium, type TestScalarium } from '../../test/helpers/harness.ts';
import { bucketIndex, createToken, findUserByName } from '../../server/plugin-api.ts';

const SCRAPE = 'scrape-token-0123456789abcdef';
let s: TestScalarium;

test.before(async () => {
  s = await createTestScalarium({ env: { SCALARIUM_METRICS_TOKEN: SCRAPE } });
  for (const name of ['shop', 'blog']) await s.api('POST', '/api/apps', { name });
  await s.deployFakeRelease('shop', { processTypes: { web: 'node server.js' } });
});

test.after.always(() => s?.close());

async function scrape(token?: string): Promise<{ status: number; type: string; text: string }> {
  const res = await fetch(`${s.url}/metrics`, token ? { headers: { Authorization: `Bearer ${token}` } } : {});
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}

/** The value of the sample `name{labels}` (labels in any order), or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const found = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(m[3]);
  }
  return undefined;
}

test('no token: 401; a viewer, a scoped admin token: 403; an admin or the scrape token: the exposition', async (t) => {
  t.is((await scrape()).status, 401);
  t.is((await scrape('wrong-token-of-some-length')).status, 401);
  await s.api('POST', '/api/users', { name: 'vera' });
  await s.api('POST', '/api/access', { user: 'vera', app: 'blog', role: 'viewer' });
  const vera = await createToken(s.scalarium.db, (await findUserByName(s.scalarium.db, 'vera'))!.id, { name: 'scrape' });
  const scoped = await createToken(s.scalarium.db, (await findUserByName(s.scalarium.db, 'admin'))!.id, { name: 'scoped', scope: { kind: 'app', name: 'shop' } });
  const denied = await scrape(vera);
  t.is(denied.status, 403);
  t.false(denied.text.includes('scalarium_'), 'nothing of the metrics');
  t.is((await scrape(scoped)).status, 403);
  for (const token of [s.token, SCRAPE]) {
    const ok = await scrape(token);
    t.is(ok.status, 200);
    t.regex(ok.type, /^text\/plain; version=0\.0\.4/);
    t.regex(ok.text, /# TYPE scalarium_http_requests_total counter/);
  }
});

test('the server\'s own series: requests by route pattern (not by path), deploys, instances, database size', async (t) => {
  for (let k = 0; k < 3; k++) await s.api('GET', '/api/apps/shop');
  await s.api('GET', '/api/apps/no-such-app');
  const { text } = await scrape(SCRAPE);
  t.true(sample(text, 'scalarium_http_requests_total', { route: '/api/apps/:app', method: 'GET', status: '2xx' })! >= 3);
  t.true(sample(text, 'scalarium_http_requests_total', { route: '/api/apps/:app', method: 'GET', status: '4xx' })! >= 1);
  t.false(text.includes('route="/api/apps/shop"'), 'paths never become labels');
  t.is(sample(text, 'scalarium_deploy_duration_seconds_count', { outcome: 'live' }), 1);
  t.is(sample(text, 'scalarium_connected_instances', { kind: 'agent' }), s.scalarium.hub.connectedPeers('agent').length);
  t.true(sample(text, 'scalarium_connected_instances', { kind: 'router' })! >= 1);
  t.true(sample(text, 'scalarium_database_bytes')! > 10_000);
  t.true(sample(text, 'scalarium_server_process_resident_memory_bytes')! > 0, 'Node\'s process metrics are there');
});

test('per app and per instance: what routers and agents report, as counters and gauges with Prometheus names', async (t) => {
  s.cloud.instance('local-router-1').metrics({
    routes: { 'shop.localhost': { requests: 10, statuses: [0, 8, 0, 0, 2], bytes: 5000, latency: { counts: { [bucketIndex(40)]: 6, [bucketIndex(400)]: 4 }, sumMs: 6 * 40 + 4 * 400 } } },
  });
  const agent = s.cloud.instance('local-app-1');
  const web = [...agent.processes.values()].find((p) => p.app === 'shop')!;
  agent.metrics({
    instance: { load1: 0.75, cpus: 2, cpuPercent: 33, memoryUsedBytes: 3e9, memoryTotalBytes: 8e9, diskUsedBytes: 20e9, diskTotalBytes: 100e9 },
    processes: [{ id: web.id, app: 'shop', type: 'web', cpuPercent: 12, rssBytes: 123_000_000 }],
  });
  const text = await until('the reports to arrive', async () => {
    const { text: now } = await scrape(SCRAPE);
    return sample(now, 'scalarium_app_requests_total', { app: 'shop' }) === 10 && sample(now, 'scalarium_instance_load1', { instance: 'local-app-1' }) !== undefined ? now : undefined;
  });
  t.is(sample(text, 'scalarium_app_responses_total', { app: 'shop', status: '5xx' }), 2);
  t.is(sample(text, 'scalarium_app_response_bytes_total', { app: 'shop' }), 5000);
  t.is(sample(text, 'scalarium_app_response_duration_seconds_bucket', { app: 'shop', le: '0.05' }), 6, 'the 40 ms ones are under 50 ms');
  t.is(sample(text, 'scalarium_app_response_duration_seconds_bucket', { app: 'shop', le: '0.25' }), 6);
  t.is(sample(text, 'scalarium_app_response_duration_seconds_bucket', { app: 'shop', le: '0.5' }), 10);
  t.is(sample(text, 'scalarium_app_response_duration_seconds_count', { app: 'shop' }), 10);
  t.is(sample(text, 'scalarium_process_resident_memory_bytes', { app: 'shop', type: 'web', instance: 'local-app-1' }), 123_000_000);
  t.is(sample(text, 'scalarium_instance_load1', { cluster: 'local', role: 'app', instance: 'local-app-1' }), 0.75);
  t.is(sample(text, 'scalarium_instance_disk_total_bytes', { instance: 'local-app-1' }), 100e9);

  // A report of a billion requests is as cheap as one of ten: buckets are added, not observed one by one.
  s.cloud.instance('local-router-1').metrics({
    routes: { 'shop.localhost': { requests: 1e9, statuses: [0, 1e9, 0, 0, 0], bytes: 1, latency: { counts: { [bucketIndex(40)]: 1e9 }, sumMs: 4e10 } } },
  });
  await until('the billion', async () => sample((await scrape(SCRAPE)).text, 'scalarium_app_response_duration_seconds_count', { app: 'shop' }) === 1e9 + 10);
  t.is(sample((await scrape(SCRAPE)).text, 'scalarium_app_response_duration_seconds_bucket', { app: 'shop', le: '+Inf' }), 1e9 + 10);

  // A destroyed app's series go with it.
  await s.api('POST', '/api/apps', { name: 'gone' });
  s.cloud.instance('local-router-1').metrics({ routes: { 'gone.localhost': { requests: 1, statuses: [0, 1, 0, 0, 0], bytes: 1, latency: { counts: { 0: 1 }, sumMs: 1 } } } });
  await until('gone\'s requests', async () => sample((await scrape(SCRAPE)).text, 'scalarium_app_requests_total', { app: 'gone' }) === 1);
  t.is((await s.api('DELETE', '/api/apps/gone', { confirm: 'gone' })).status, 204);
  t.is(sample((await scrape(SCRAPE)).text, 'scalarium_app_requests_total', { app: 'gone' }), undefined);
});
