// The monitoring plugin through the real server: metrics sent over the real agent protocol by the
// null provider's FAKE instances (made-up figures, since a fake measures nothing), stored in real
// SQLite, read through the API, the CLI and the Metrics tabs; access as for the app and cluster.
import test from 'ava';
import { cli, loggedIn, until } from '../../cli/test-support.ts';
import { createTestScalarium, type TestScalarium } from '../../test/helpers/harness.ts';
import { uiLogin } from '../../test/helpers/ui-client.ts';
import { createToken, findUserByName, bucketIndex } from '../../server/plugin-api.ts';
import type { MetricsAnswer, SeriesView } from './views.ts';

let s: TestScalarium;

function t0(answer: { status: number; body: unknown }): void {
  if (answer.status >= 300) throw new Error(`set-up request failed: ${answer.status} ${JSON.stringify(answer.body)}`);
}

test.before(async () => {
  s = await createTestScalarium();
  for (const name of ['shop', 'blog']) await s.api('POST', '/api/apps', { name });
  await s.deployFakeRelease('shop', { processTypes: { web: 'node server.js', worker: 'node worker.js' } });
  t0(await s.api('PATCH', '/api/apps/shop/formation', { web: 2, worker: 1 }));
  const agent = s.cloud.instance('local-app-1');
  const processes = [...agent.processes.values()].filter((p) => p.app === 'shop');
  // Two intervals of one web process using 300 and 100 MiB, and of the worker.
  for (const [i, rss] of [[0, 300], [1, 100]] as const) {
    agent.metrics({
      // Two whole intervals that ended before now (the one under way is not shown).
      at: new Date(Date.now() - (2 - i) * 10_000).toISOString(),
      instance: { load1: 0.5 + i, cpus: 2, cpuPercent: 40, memoryUsedBytes: 2 * 2 ** 30, memoryTotalBytes: 8 * 2 ** 30, diskUsedBytes: 25, diskTotalBytes: 100 },
      processes: processes.map((p) => ({ id: p.id, app: p.app, type: p.type, cpuPercent: p.type === 'web' ? 50 : 5, rssBytes: (p.type === 'web' ? rss : 20) * 2 ** 20 })),
    });
  }
  // The router: 100 requests in 10 s, 5 of them 5xx; 60 took ~50 ms and 40 ~200 ms.
  s.cloud.instance('local-router-1').metrics({
    at: new Date(Date.now() - 10_000).toISOString(),
    routes: {
      'shop.localhost': {
        requests: 100, statuses: [0, 90, 0, 5, 5], bytes: 123_456,
        latency: { counts: { [bucketIndex(50)]: 60, [bucketIndex(200)]: 40 }, sumMs: 60 * 50 + 40 * 200 },
      },
      'blog.localhost': { requests: 1, statuses: [0, 0, 0, 0, 1], bytes: 10, latency: { counts: { 0: 1 }, sumMs: 1 } },
    },
  });
  await until('the metrics to be stored', async () => {
    const answer = (await s.api('GET', '/api/apps/shop/metrics')).body as MetricsAnswer;
    return answer.series.some((x) => x.name === 'memory_bytes') && answer.series.some((x) => x.name === 'requests_per_second');
  });
});

test.after.always(() => s?.close());

const seriesOf = (answer: MetricsAnswer, name: string, labels: Record<string, string> = {}): SeriesView | undefined =>
  answer.series.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
const values = (series: SeriesView | undefined) => (series?.points ?? []).map(([, v]) => v);

test('an app\'s requests/s, 5xx rate, percentiles and per-type CPU and memory, from what its instances sent', async (t) => {
  const { status, body } = await s.api('GET', '/api/apps/shop/metrics?since=1h');
  t.is(status, 200);
  const answer = body as MetricsAnswer;
  t.like(answer, { app: 'shop', stepMs: 10_000, resolution: '10s' });
  t.deepEqual(values(seriesOf(answer, 'requests_per_second')), [10], '100 requests in a 10 s bucket');
  t.deepEqual(values(seriesOf(answer, 'error_rate_percent')), [5]);
  const p50 = values(seriesOf(answer, 'p50_ms'))[0]!;
  const p95 = values(seriesOf(answer, 'p95_ms'))[0]!;
  t.true(p50 > 45 && p50 <= 55, `p50 ${p50}`);
  t.true(p95 > 180 && p95 <= 220, `p95 ${p95}`);
  // Each interval's average over the type's processes.
  t.deepEqual(values(seriesOf(answer, 'memory_bytes', { type: 'worker' })), [20 * 2 ** 20, 20 * 2 ** 20]);
  t.is(values(seriesOf(answer, 'memory_bytes', { type: 'web' })).length, 2);
  t.deepEqual(values(seriesOf(answer, 'cpu_percent', { type: 'web' })), [50, 50]);
  t.true(answer.series.every((x) => x.points.every(([at]) => at >= Date.parse(answer.from) - 10_000 && at <= Date.parse(answer.to))));

  const blog = (await s.api('GET', '/api/apps/blog/metrics')).body as MetricsAnswer;
  t.deepEqual(values(seriesOf(blog, 'error_rate_percent')), [100], 'each app its own');
  t.is(seriesOf(blog, 'memory_bytes'), undefined, 'blog has no processes');
});

test('a cluster\'s load, CPU, memory and disk per instance and per role', async (t) => {
  const answer = (await s.api('GET', '/api/clusters/local/metrics?since=1h')).body as MetricsAnswer;
  t.like(answer, { cluster: 'local' });
  t.deepEqual(values(seriesOf(answer, 'load1', { instance: 'local-app-1', role: 'app' })), [0.5, 1.5]);
  t.deepEqual(values(seriesOf(answer, 'memory_percent', { instance: 'local-app-1' })), [25, 25]);
  t.deepEqual(values(seriesOf(answer, 'disk_percent', { instance: 'local-app-1' })), [25, 25]);
  t.deepEqual(values(seriesOf(answer, 'role_cpu_percent', { role: 'app' })), [40, 40]);
});

test('bad ranges, unknown apps and clusters are refused with what to do', async (t) => {
  for (const since of ['5x', '0h', '401d', '-1h', '1h;drop']) {
    const { status, body } = await s.api('GET', `/api/apps/shop/metrics?since=${encodeURIComponent(since)}`);
    t.is(status, 400, since);
    t.is(body.error.code, 'invalid_query');
    t.regex(body.error.hint, /1h, 90m, 1d, 7d, 30d/);
  }
  t.is((await s.api('GET', '/api/apps/nope/metrics')).status, 404);
  t.is((await s.api('GET', '/api/clusters/nope/metrics')).body.error.code, 'cluster_not_found');
});

test('an app\'s viewers read its metrics; others learn nothing, not even that it exists', async (t) => {
  await s.api('POST', '/api/users', { name: 'vera' });
  await s.api('POST', '/api/access', { user: 'vera', app: 'blog', role: 'viewer' });
  const vera = await createToken(s.scalarium.db, (await findUserByName(s.scalarium.db, 'vera'))!.id, { name: 'metrics-test' });
  t.is((await s.api('GET', '/api/apps/blog/metrics', undefined, vera)).status, 200);
  const shop = await s.api('GET', '/api/apps/shop/metrics', undefined, vera);
  t.is(shop.status, 404);
  t.is(shop.body.error.code, 'app_not_found');
  t.is((await s.api('GET', '/api/clusters/local/metrics', undefined, vera)).status, 403);
});

test('scalarium metrics prints a line per series with latest, average, peak and a trend; --json the API\'s answer', async (t) => {
  const opts = await loggedIn(t, { server: s });
  const app = await cli(['metrics', '--app', 'shop'], opts);
  t.is(app.code, 0, app.stderr);
  t.regex(app.stdout, /^Metrics of app shop, /);
  t.regex(app.stdout, /SERIES\s+LABELS\s+LATEST\s+AVG\s+MAX\s+TREND/);
  t.regex(app.stdout, /requests_per_second\s+10 req\/s\s+10 req\/s\s+10 req\/s\s+\S/);
  t.regex(app.stdout, /memory_bytes\s+type=worker\s+20 MiB/);
  const cluster = await cli(['metrics', '--cluster', 'local', '--since', '7d', '--json'], opts);
  t.is(cluster.code, 0, cluster.stderr);
  t.is(JSON.parse(cluster.stdout).cluster, 'local');
  const bad = await cli(['metrics', '--app', 'shop', '--since', 'forever'], opts);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /"forever" is not a valid range/);
  t.is((await cli(['metrics', '--app', 'shop', '--cluster', 'local'], opts)).code, 2);
});

test('the Metrics tabs draw the graphs on the server, one line per series', async (t) => {
  const ui = await uiLogin(s.url, s.token);
  const page = await ui.get('/apps/shop/metrics');
  t.is(page.status, 200);
  t.regex(page.html, /<a href="\/apps\/shop\/metrics" aria-current="page">Metrics<\/a>/);
  t.is((page.html.match(/<svg /g) ?? []).length, 5);
  t.regex(page.html, /<path class="series"[^>]*data-label="p95"[^>]*data-points="1"/);
  t.regex(page.html, /data-label="worker"[^>]*data-points="2"/);
  t.regex((await ui.get('/apps/shop/metrics?range=7d')).html, /Metrics · Last week/);
  const cluster = await ui.get('/clusters/local/metrics');
  t.is(cluster.status, 200);
  t.regex(cluster.html, /data-label="local-app-1 \(app\)"[^>]*data-points="2"/);
  t.regex((await ui.get('/clusters/local')).html, /<a href="\/clusters\/local\/metrics">Metrics<\/a>/);
  t.regex((await ui.get('/apps/blog/metrics')).html, /<svg /);
});

test('a destroyed app takes its metrics along: a new app of the same name starts empty', async (t) => {
  t.is((await s.api('POST', '/api/apps', { name: 'gone' })).status, 201);
  s.cloud.instance('local-router-1').metrics({
    at: new Date(Date.now() - 10_000).toISOString(),
    routes: { 'gone.localhost': { requests: 3, statuses: [0, 3, 0, 0, 0], bytes: 30, latency: { counts: { 0: 3 }, sumMs: 3 } } },
  });
  await until('gone\'s metrics', async () => seriesOf((await s.api('GET', '/api/apps/gone/metrics')).body as MetricsAnswer, 'requests_per_second'));
  t.is((await s.api('DELETE', '/api/apps/gone', { confirm: 'gone' })).status, 204);
  t.is((await s.api('POST', '/api/apps', { name: 'gone' })).status, 201);
  t.deepEqual(((await s.api('GET', '/api/apps/gone/metrics')).body as MetricsAnswer).series, []);
  t.truthy(seriesOf((await s.api('GET', '/api/apps/shop/metrics')).body as MetricsAnswer, 'requests_per_second'), 'other apps keep theirs');
});
