// The Metrics tabs in a real headless Chromium: graphs drawn on the server from what the null
// provider's FAKE router and agent reported (made-up figures: a fake measures nothing) show a line
// per series with as many points as the API answers, work without JavaScript, and a label made of
// markup stays text. Screenshots go to SCALARIUM_SCREENSHOTS (or a temp dir) to be looked at.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import type { Browser } from 'playwright-core';
import { launchChromium, logInWithToken } from '../../test/helpers/browser.ts';
import { until } from '../../cli/test-support.ts';
import { createTestScalarium, type TestScalarium } from '../../test/helpers/harness.ts';
import { bucketIndex } from '../../server/plugin-api.ts';
import type { MetricsAnswer } from './views.ts';

const shots = process.env.SCALARIUM_SCREENSHOTS ?? fs.mkdtempSync(path.join(os.tmpdir(), 'scalarium-metrics-shots-'));
const INTERVALS = 12;

let s: TestScalarium;
let browser: Browser;

test.before(async () => {
  s = await createTestScalarium();
  await s.api('POST', '/api/apps', { name: 'shop' });
  await s.deployFakeRelease('shop', { processTypes: { web: 'node server.js' } });
  const agent = s.cloud.instance('local-app-1');
  const web = [...agent.processes.values()].find((p) => p.app === 'shop')!;
  const now = Math.floor(Date.now() / 10_000) * 10_000;
  // Two minutes of 10 s intervals that ended before now: a daily-looking wave of traffic and memory.
  for (let k = INTERVALS; k >= 1; k--) {
    const at = new Date(now - k * 10_000 + 5_000).toISOString();
    const requests = 100 + 50 * Math.round(Math.sin(k));
    s.cloud.instance('local-router-1').metrics({
      at, routes: { 'shop.localhost': { requests, statuses: [0, requests - 2, 0, 0, 2], bytes: 1000, latency: { counts: { [bucketIndex(20 + k)]: requests }, sumMs: requests * (20 + k) } } },
    });
    agent.metrics({
      at, instance: { load1: 0.2 + k / 20, cpus: 2, cpuPercent: 10 + k, memoryUsedBytes: 2e9, memoryTotalBytes: 8e9, diskUsedBytes: 30, diskTotalBytes: 100 },
      processes: [{ id: web.id, app: 'shop', type: 'web', cpuPercent: 5 + k, rssBytes: (100 + k) * 2 ** 20 }],
    });
  }
  await until('the metrics to be stored', async () => {
    const answer = (await s.api('GET', '/api/apps/shop/metrics')).body as MetricsAnswer;
    return answer.series.find((x) => x.name === 'requests_per_second')?.points.length === INTERVALS;
  });
  browser = await launchChromium();
});

test.after.always(async () => {
  await browser?.close();
  await s?.close();
  // Screenshots are kept only where SCALARIUM_SCREENSHOTS asks for them.
  if (!process.env.SCALARIUM_SCREENSHOTS) fs.rmSync(shots, { recursive: true, force: true });
});

test('the app\'s Metrics tab draws each series with the points the API has, without JavaScript', async (t) => {
  const api = (await s.api('GET', '/api/apps/shop/metrics?since=1h')).body as MetricsAnswer;
  const page = await browser.newPage({ viewport: { width: 1000, height: 900 }, javaScriptEnabled: false });
  // The log-in form works without scripts too.
  await logInWithToken(page, s.url, s.token);
  await page.goto(`${s.url}/apps/shop/metrics?range=1h`);
  const drawn = await page.$$eval('svg.graph path.series', (paths) => paths.map((p) => ({ label: p.getAttribute('data-label'), points: Number(p.getAttribute('data-points')) })));
  const byName = (name: string) => api.series.find((x) => x.name === name)!.points.filter(([, v]) => v !== null).length;
  t.like(drawn.find((d) => d.label === 'requests/s'), { points: byName('requests_per_second') });
  for (const q of ['p50', 'p95', 'p99']) t.like(drawn.find((d) => d.label === q), { points: byName(`${q}_ms`) });
  t.like(drawn.find((d) => d.label === 'web' && d.points === byName('memory_bytes')), { points: INTERVALS });
  t.is(byName('requests_per_second'), INTERVALS);
  t.regex((await page.textContent('svg#latency'))!, /ms/, 'the latency graph has its unit');
  await page.screenshot({ path: path.join(shots, 'app-metrics.png'), fullPage: true });

  await page.goto(`${s.url}/clusters/local/metrics?range=1h`);
  const cluster = await page.$$eval('svg.graph path.series', (paths) => paths.map((p) => p.getAttribute('data-label')));
  t.true(cluster.includes('local-app-1 (app)'), cluster.join(', '));
  await page.screenshot({ path: path.join(shots, 'cluster-metrics.png'), fullPage: true });
  await page.close();
});
