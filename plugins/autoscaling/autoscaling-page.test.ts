// The Autoscaling tabs in a real headless Chromium. A simulated cluster (its instances report the CPU
// its settings give them through the real metrics path) whose app role scaled up on CPU shows the
// policy, the decisions with their reasons and two graphs drawn from the samples the API has; a
// policy and a schedule are set through the forms (bad ones come back with the error, what was typed
// and nothing stored; markup typed into a form stays text); a schedule goes with its Remove button;
// an app's tab shows its process type's policy. Screenshots go to SCALARIUM_SCREENSHOTS (or a temp dir).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, loggedInPage } from '../../test/helpers/browser.ts';
import { createTestScalarium, type TestScalarium } from '../../test/helpers/harness.ts';
import { until } from '../../test/helpers/until.ts';
import { createCluster, listRoles, type ClusterSettings } from '../../server/db/clusters.ts';
import { listInstances } from '../../server/db/instances.ts';
import { reconcileCluster } from '../../server/core/cluster-service.ts';
import { PROVIDER, simulatedCloud } from '../provider-simulated/index.ts';
import type { AutoscaleAnswer } from './service.ts';

const HOSTILE_CRON = `<script>alert(1)</script><img/src/onerror=alert(2)> * * * *`; // under the 60 characters an error quotes
const INJECTED = 'img, script, svg[onload], [onerror], [onload]';
const APP_POLICY = '+1 when cpu > 70 % for 10s, -1 when cpu < 20 % for 10s within 1-3, cooldown 0s';
const HOUR_MS = 3_600_000;
const shots = process.env.SCALARIUM_SCREENSHOTS ?? fs.mkdtempSync(path.join(os.tmpdir(), 'scalarium-autoscaling-shots-'));

let s: TestScalarium;
let browser: Browser;

const ok = <T>(out: { status: number; body: T }, status = 200): T => {
  if (out.status !== status) throw new Error(`${out.status}: ${JSON.stringify(out.body)}`);
  return out.body;
};
const autoscale = async (scope = 'clusters/busy') => ok(await s.api<AutoscaleAnswer>('GET', `/api/${scope}/autoscale`));

test.before(async () => {
  // Metrics every second and an evaluation every second: a 10 s window fills in seconds.
  s = await createTestScalarium({ env: { SCALARIUM_METRICS_INTERVAL: '1', SCALARIUM_AUTOSCALE_INTERVAL: '1' } });
  s.scalarium.providers.set(PROVIDER, simulatedCloud(s.scalarium).provider);
  const c = await createCluster(s.scalarium.db, 'busy', PROVIDER, { cpuPercent: 90, cpuJitter: 2 } as ClusterSettings, [{ name: 'app', count: 1 }, { name: 'router', count: 1 }]);
  await reconcileCluster(s.scalarium, c);
  ok(await s.api('PUT', '/api/clusters/busy/autoscale/app', { metric: 'cpu', min: 1, max: 3, above: 70, below: 20, for: '10s', cooldown: '0s' }));
  // An app on the default cluster (fake instances that report no metrics): its web type gets a policy.
  ok(await s.api('POST', '/api/apps', { name: 'shop' }), 201);
  await s.deployFakeRelease('shop', { processTypes: { web: 'node server.js', worker: 'node worker.js' } });
  ok(await s.api('PUT', '/api/apps/shop/autoscale/web', { metric: 'cpu', min: 1, max: 4, target: 60, for: '1m', cooldown: '2m' }));
  await until('the app role scaled to its max, 3 online', async () => {
    const count = (await listRoles(s.scalarium.db, c.id)).find((r) => r.name === 'app')!.count;
    const online = (await listInstances(s.scalarium.db, c.id)).filter((i) => i.role === 'app' && i.state === 'online').length;
    return count === 3 && online === 3;
  }, { timeoutMs: 90_000, everyMs: 200 });
  browser = await launchChromium();
});

test.after.always(async () => {
  await browser?.close();
  await s?.close();
  // Screenshots are kept only where SCALARIUM_SCREENSHOTS asks for them.
  if (!process.env.SCALARIUM_SCREENSHOTS) fs.rmSync(shots, { recursive: true, force: true });
});

const loggedIn = () => loggedInPage(browser, s.url, s.token);

const rowsOf = (page: Page, selector: string) => page.$$eval(`${selector} tbody tr`, (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent!.trim())));

interface Drawn { id: string; title: string; points: number; coordinates: number; dots: number; latest: string; empty: boolean }
const graphsOf = (page: Page, section: string): Promise<Drawn[]> => page.$$eval(`${section} svg.graph`, (svgs) => svgs.map((svg) => {
  const line = svg.querySelector('path.series');
  return {
    id: svg.id, title: svg.querySelector('title')?.textContent ?? '',
    points: Number(line?.getAttribute('data-points') ?? 0),
    // "M x y L x y …": the coordinates actually drawn as lines.
    coordinates: ((line?.getAttribute('d') ?? '').match(/[ML]/g) ?? []).length,
    dots: svg.querySelectorAll('circle.point').length,
    latest: svg.querySelector('.legend .latest')?.textContent ?? '',
    empty: svg.querySelector('text.empty') !== null,
  };
}));

test.serial('the cluster\'s Autoscaling tab shows the policy, the decisions with their reasons, and the count and CPU over the last hour', async (t) => {
  const { page, dialogs } = await loggedIn();
  await page.goto(`${s.url}/clusters/busy`);
  const tabs = await page.$$eval('nav.tabs a', (as) => as.map((a) => a.textContent!.trim()));
  t.true(tabs.includes('Autoscaling') && tabs.includes('Healing'), tabs.join(', '));
  await Promise.all([page.waitForURL(/\/clusters\/busy\/autoscaling$/), page.click('nav.tabs >> text=Autoscaling')]);
  t.is(await page.textContent('nav.tabs a[aria-current="page"]'), 'Autoscaling');
  const before = await autoscale();

  const section = page.locator('section#target-app');
  t.is((await section.locator('h3').textContent())!.trim(), 'app: 3 now');
  t.is((await section.locator('p.policy').textContent())!.trim(), APP_POLICY);
  t.is(before.targets[0]!.policy!.described, APP_POLICY);
  t.regex((await section.locator('p.reading').textContent())!, /Last reading \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ: \d+ %/);

  // Newest first: [time, role, from → to, by, why].
  const decisions = (await rowsOf(page, 'table.decisions')).reverse();
  t.deepEqual(decisions.map((d) => d.slice(1, 4)), [['app', '1 → 2', 'load'], ['app', '2 → 3', 'load']]);
  for (const d of decisions) t.regex(d[4]!, /^cpu (8[5-9]|9\d) % > 70 % for 10 s$/);
  t.deepEqual(decisions.map((d) => d[4]), before.decisions.map((d) => d.reason).reverse(), 'the reasons the API gives');

  // Two graphs side by side in the section, each a line drawn from the samples of the last hour.
  const graphs = await graphsOf(page, 'section#target-app');
  const after = await autoscale();
  const samples = after.targets[0]!.samples.filter((x) => x.at >= Date.now() - HOUR_MS);
  t.deepEqual(graphs.map((g) => [g.id, g.title]), [['count-app', 'app: count'], ['metric-app', 'app: cpu']]);
  t.true(samples.length > 10, `${samples.length} samples`);
  for (const g of graphs) {
    t.false(g.empty, g.id);
    t.true(g.points > 1 && g.coordinates > 1, `${g.id}: a line of ${g.points} points (${g.coordinates} drawn as lines, ${g.dots} dots)`);
    // Samples come every second and the graph keeps only the min and max of each pixel column (an
    // hour on ~660 px is ~5.5 s a column): never more points than samples, but not one per sample.
    t.true(g.points <= samples.length, `${g.id}: ${g.points} points of ${samples.length} samples`);
  }
  const [count, metric] = graphs as [Drawn, Drawn];
  t.true(metric.points <= samples.filter((x) => x.value !== null).length, 'no more CPU points than samples with a value');
  t.is(count.latest, '3', 'the count ends at 3');
  t.regex(metric.latest, /^(8[5-9]|9\d)(\.\d+)? %$/, 'the CPU ends around 90 %');
  t.is(await page.locator(`main ${INJECTED}`).count(), 0);
  await page.screenshot({ path: path.join(shots, 'cluster-autoscaling.png'), fullPage: true });
  t.deepEqual(dialogs, []);
  await page.close();
});

test.serial('a policy is set through the form; min above max comes back with the error and what was typed, nothing stored', async (t) => {
  const { page } = await loggedIn();
  await page.goto(`${s.url}/clusters/busy/autoscaling`);
  const form = page.locator('form[action="/clusters/busy/autoscaling/policy"]');
  const fill = async (fields: Record<string, string>) => {
    for (const [name, value] of Object.entries(fields)) await form.locator(`input[name=${name}]`).fill(value);
  };
  // The router: one and only one, whatever its CPU says (so nothing scales while the tests run).
  await fill({ name: 'router', metric: 'cpu', min: '1', max: '1', above: '95', for: '1m', cooldown: '5m' });
  await Promise.all([page.waitForURL(/\/clusters\/busy\/autoscaling\?notice=/), form.locator('button').click()]);
  const described = '+1 when cpu > 95 % for 1m within 1-1, cooldown 5m';
  t.is((await page.textContent('.flash.notice'))!.trim(), `router: ${described}`);
  t.is((await page.textContent('section#target-router p.policy'))!.trim(), described);
  t.is((await autoscale()).targets.find((x) => x.role === 'router')!.policy!.described, described);
  t.is((await page.textContent('section#target-app p.policy'))!.trim(), APP_POLICY, 'the app role\'s is unchanged');

  await fill({ name: 'router', metric: 'cpu', min: '5', max: '2', above: '70', for: '', cooldown: '' });
  await form.locator('input[name=dryRun]').check();
  const [answer] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), form.locator('button').click()]);
  await page.waitForSelector('.flash.error');
  t.is(answer.status(), 400);
  t.regex((await page.textContent('.flash.error'))!, /min \(5\) must not be above max \(2\)/);
  t.is(await form.locator('input[name=min]').inputValue(), '5', 'what was typed is kept');
  t.is(await form.locator('input[name=max]').inputValue(), '2');
  t.is(await form.locator('input[name=name]').inputValue(), 'router');
  t.true(await form.locator('input[name=dryRun]').isChecked(), 'the dry run box too');
  t.is((await page.textContent('section#target-router p.policy'))!.trim(), described);
  t.is((await autoscale()).targets.find((x) => x.role === 'router')!.policy!.described, described, 'nothing stored');
  await page.screenshot({ path: path.join(shots, 'cluster-autoscaling-error.png'), fullPage: true });
  await page.close();
});

test.serial('a schedule is added through the form and removed with its button; markup typed as a cron stays text', async (t) => {
  const { page, dialogs } = await loggedIn();
  await page.goto(`${s.url}/clusters/busy/autoscaling`);
  const form = page.locator('form[action="/clusters/busy/autoscaling/schedules"]');
  const fill = async (fields: Record<string, string>) => {
    for (const [name, value] of Object.entries(fields)) await form.locator(`input[name=${name}]`).fill(value);
  };
  // A count the router already has and its policy keeps: firing changes nothing.
  await fill({ name: 'router', count: '1', cron: '0 8 * * 1-5', tz: 'Europe/Berlin' });
  await Promise.all([page.waitForURL(/\/clusters\/busy\/autoscaling\?notice=/), form.locator('button').click()]);
  t.is((await page.textContent('.flash.notice'))!.trim(), 'router: 1 at "0 8 * * 1-5" (Europe/Berlin)');
  const [schedule] = (await autoscale()).targets.find((x) => x.role === 'router')!.schedules;
  t.like(schedule, { count: 1, cron: '0 8 * * 1-5', tz: 'Europe/Berlin' });
  const rows = await rowsOf(page, 'section#target-router table.schedules');
  t.is(rows.length, 1);
  t.deepEqual(rows[0]!.slice(0, 4), [String(schedule!.id), '1', '0 8 * * 1-5', 'Europe/Berlin']);
  t.is(rows[0]![4], schedule!.next!.replace('T', ' ').replace(/\.\d+Z$/, 'Z'), 'when it fires next');
  await page.screenshot({ path: path.join(shots, 'cluster-autoscaling-schedule.png'), fullPage: true });

  await fill({ name: 'router', count: '2', cron: HOSTILE_CRON, tz: 'UTC' });
  const [answer] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), form.locator('button').click()]);
  await page.waitForSelector('.flash.error');
  t.is(answer.status(), 400);
  t.true((await page.textContent('.flash.error'))!.includes(`cron "${HOSTILE_CRON}" is not valid`), 'the cron is quoted as text');
  t.is(await form.locator('input[name=cron]').inputValue(), HOSTILE_CRON, 'and kept in its field');
  t.is(await page.locator(`main ${INJECTED}`).count(), 0, 'it made no element');
  t.is(await page.locator('script').count(), 0);
  t.is((await autoscale()).targets.find((x) => x.role === 'router')!.schedules.length, 1, 'nothing stored');

  await page.goto(`${s.url}/clusters/busy/autoscaling`);
  const remove = page.locator(`section#target-router form[action="/clusters/busy/autoscaling/schedules/remove"]:has(input[name=id][value="${schedule!.id}"])`);
  await Promise.all([page.waitForURL(/\/clusters\/busy\/autoscaling\?notice=/), remove.locator('button', { hasText: 'Remove' }).click()]);
  t.is((await page.textContent('.flash.notice'))!.trim(), `schedule ${schedule!.id} removed`);
  t.is(await page.locator('section#target-router table.schedules').count(), 0);
  t.deepEqual((await autoscale()).targets.find((x) => x.role === 'router')!.schedules, []);
  t.deepEqual(dialogs, []);
  await page.close();
});

test.serial('the app\'s Autoscaling tab shows its process type\'s policy, with a form that names process types', async (t) => {
  const { page } = await loggedIn();
  await page.goto(`${s.url}/apps/shop`);
  const tabs = await page.$$eval('nav.tabs a', (as) => as.map((a) => a.textContent!.trim()));
  t.true(tabs.includes('Autoscaling'), tabs.join(', '));
  await Promise.all([page.waitForURL(/\/apps\/shop\/autoscaling$/), page.click('nav.tabs >> text=Autoscaling')]);
  t.is(await page.textContent('nav.tabs a[aria-current="page"]'), 'Autoscaling');
  t.is(await page.textContent('h1'), 'shop');
  const api = await autoscale('apps/shop');
  t.deepEqual(api.targets.map((x) => x.type), ['web']);
  t.is((await page.textContent('section#target-web h3'))!.trim(), `web: ${api.targets[0]!.current} now`);
  t.is((await page.textContent('section#target-web p.policy'))!.trim(), 'keep cpu near 60 % (over 1m) within 1-4');
  t.is(await page.locator('section#target-worker').count(), 0, 'a type without policy or schedule has no section');
  t.is((await page.textContent('label[for=p-name]'))!.trim(), 'process type');
  t.is(await page.locator('form[action="/apps/shop/autoscaling/policy/remove"] input[name=name]').getAttribute('value'), 'web');
  t.is(await page.locator('svg.graph#count-web').count(), 1);
  // The fake instances report no CPU: the metric graph says so rather than drawing a line.
  const web = (await autoscale('apps/shop')).targets[0]!;
  t.true(web.samples.length > 0 && web.samples.every((x) => x.value === null), 'samples without a value');
  t.like((await graphsOf(page, 'section#target-web')).find((g) => g.id === 'metric-web'), { empty: true, points: 0 });
  t.regex((await page.textContent('section#target-web p.reading'))!, /nothing measured in the window yet/);
  t.regex((await page.textContent('main'))!, /No decision yet\./);
  await page.screenshot({ path: path.join(shots, 'app-autoscaling.png'), fullPage: true });
  await page.close();
});
