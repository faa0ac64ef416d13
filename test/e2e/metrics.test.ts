// Metrics from real instances: the real router times real requests to an app whose every answer
// takes 50 ms, the real agent measures the app process holding 64 MiB, both report every second
// (SCALARIUM_METRICS_INTERVAL=1) over the agent protocol, and the API answers what was measured.
import test from 'ava';
import { until as waitUntil } from '../helpers/until.ts';
import { createTestScalarium, type LocalTestScalarium } from '../helpers/harness.ts';
import { authedGitUrl, createAppRepo } from '../helpers/app-repo.ts';
import { getViaRouter } from '../helpers/router-client.ts';
import type { MetricsAnswer } from '../../plugins/monitoring/views.ts';

let server: LocalTestScalarium;

test.before(async () => {
  server = await createTestScalarium({ instances: 'local', env: { SCALARIUM_METRICS_INTERVAL: '1' } });
});
test.after.always(() => server?.close());

/** An end-to-end wait: the server is asked over HTTP, a few times a second. */
const until = <T>(what: string, check: () => Promise<T>, timeoutMs = 30_000) => waitUntil(what, check, { timeoutMs, everyMs: 250 });

const total = (answer: MetricsAnswer, name: string) =>
  answer.series.filter((s) => s.name === name).flatMap((s) => s.points.map(([, v]) => v ?? 0)).reduce((a, b) => a + b, 0);

test('requests, 5xx, latency percentiles and process memory as the router and the agent measured them', async (t) => {
  t.is((await server.api('POST', '/api/apps', { name: 'timed' })).status, 201);
  const repo = await createAppRepo('node-metrics');
  t.teardown(() => repo.cleanup());
  const push = await repo.push(authedGitUrl(server.url, 'timed', server.token));
  t.is(push.code, 0, push.output);

  // 40 requests (4 of them 500s), 10 at a time; the slowest a client saw bounds what the router may report.
  let slowestMs = 0;
  const timed = async (path: string) => {
    const started = performance.now();
    const answer = await getViaRouter(server.routerPort, 'timed.localhost', path);
    slowestMs = Math.max(slowestMs, performance.now() - started);
    return answer;
  };
  for (let round = 0; round < 4; round++) {
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => timed(round === 0 && i < 4 ? '/fail' : '/')));
    t.deepEqual(answers.map((a) => a.status).sort(), round === 0 ? [200, 200, 200, 200, 200, 200, 500, 500, 500, 500] : Array(10).fill(200));
  }
  // Requests are per second per 10 s bucket: 40 requests make a sum of rates of 4 req/s.
  const answer = await until('the router\'s and the agent\'s reports', async () => {
    const a = (await server.api('GET', '/api/apps/timed/metrics')).body as MetricsAnswer;
    return Math.round(total(a, 'requests_per_second') * 10) >= 40 && a.series.some((s) => s.name === 'memory_bytes') && a;
  });
  t.is(Math.round(total(answer, 'requests_per_second') * 10), 40, 'each request counted once');
  const p50 = answer.series.find((s) => s.name === 'p50_ms')!.points.map(([, v]) => v!);
  // At least the app's 50 ms (less the ~5 % a bucket can be off), at most what clients saw (plus a bucket).
  t.true(p50.every((v) => v >= 47.5 && v <= slowestMs * 1.1), `p50 of a 50 ms app: ${p50.join(', ')} ms; slowest request ${slowestMs} ms`);
  const errors = answer.series.find((s) => s.name === 'error_rate_percent')!.points.map(([, v]) => v!);
  t.true(errors.some((v) => v > 0), `the 500s show: ${errors.join(', ')} %`);
  const memory = answer.series.find((s) => s.name === 'memory_bytes' && s.labels.type === 'web')!.points.map(([, v]) => v!);
  t.true(memory.every((v) => v >= 64 * 2 ** 20 && v < 512 * 2 ** 20), `the web process holds its 64 MiB: ${memory.join(', ')}`);

  const cluster = await until('the instances\' own figures', async () => {
    const c = (await server.api('GET', '/api/clusters/local/metrics')).body as MetricsAnswer;
    return c.series.some((s) => s.name === 'memory_percent' && s.labels.role === 'app') && c.series.some((s) => s.name === 'role_load1' && s.labels.role === 'router') && c;
  });
  const load = cluster.series.find((s) => s.name === 'load1' && s.labels.instance === 'local-app-1');
  t.truthy(load, cluster.series.map((s) => `${s.name} ${JSON.stringify(s.labels)}`).join('; '));
  t.truthy(cluster.series.find((s) => s.name === 'cpu_percent' && s.labels.instance === 'local-router-1' && s.labels.role === 'router'), 'routers report their instance too');
  t.true(cluster.series.filter((s) => s.name === 'memory_percent').every((s) => s.points.every(([, v]) => v! > 0 && v! < 100)));
  t.true((await getViaRouter(server.routerPort, 'timed.localhost')).status === 200, 'measuring changed nothing that serves');
});
