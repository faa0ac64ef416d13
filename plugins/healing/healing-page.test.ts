// The Healing tab in a real headless Chromium, on the simulated cloud (its instances speak the real
// protocol from a child process): two killed instances are suspect and replaced (the termination of
// one fails with a provider error made of markup), and the tab shows the events, the policy and the
// instances; an admin changes the policy through the form, a bad one comes back with the error and
// what was typed; a viewer of the cluster sees no form and a POST of theirs is refused.
// Screenshots go to SCALARIUM_SCREENSHOTS (or a temp dir, removed afterwards).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, loggedInPage } from '../../test/helpers/browser.ts';
import { createTestScalarium, type TestScalarium } from '../../test/helpers/harness.ts';
import { until } from '../../test/helpers/until.ts';
import { createCluster } from '../../server/db/clusters.ts';
import { listInstances } from '../../server/db/instances.ts';
import { reconcileCluster } from '../../server/core/cluster-service.ts';
import { createToken, findUserByName } from '../../server/plugin-api.ts';
import { PROVIDER, simulatedCloud } from '../provider-simulated/index.ts';
import type { HealingAnswer } from './service.ts';

// Names are allow-listed and reasons are written by the healer, so the API cannot plant markup in an
// event: a provider's error can (a cloud's message is anyone's text), so the termination of one
// instance fails with this.
const HOSTILE = `<img src=x onerror="alert('xss')"><script>alert(1)</script><b class="injected">bold</b>`;
const INJECTED = 'img, script, svg[onload], [onerror], [onload], b.injected';
const FAILS = 'heal-app-3';
const shots = process.env.SCALARIUM_SCREENSHOTS ?? fs.mkdtempSync(path.join(os.tmpdir(), 'scalarium-healing-shots-'));

let s: TestScalarium;
let browser: Browser;

const healing = async () => (await s.api('GET', '/api/clusters/heal/healing?limit=500')).body as HealingAnswer;

test.before(async () => {
  // Metrics every second: with them, a healthy instance is never silent for more than a second.
  s = await createTestScalarium({ env: { SCALARIUM_METRICS_INTERVAL: '1' } });
  const cloud = simulatedCloud(s.scalarium);
  let failOnce = true;
  s.scalarium.providers.set(PROVIDER, {
    ...cloud.provider,
    async terminate(instance) {
      await cloud.provider.terminate(instance);
      if (instance.id === FAILS && failOnce) {
        failOnce = false;
        throw new Error(`the cloud said ${HOSTILE}`);
      }
    },
  });
  const c = await createCluster(s.scalarium.db, 'heal', PROVIDER, {}, [{ name: 'app', count: 3 }, { name: 'router', count: 1 }]);
  await reconcileCluster(s.scalarium, c);
  const set = await s.api('PUT', '/api/clusters/heal/healing', { suspectAfter: '3s', replaceAfter: '5s' });
  if (set.status !== 200) throw new Error(JSON.stringify(set.body));
  // Two of four silent is not "more than half": healing does not pause, both are replaced.
  await cloud.kill(['heal-app-2', FAILS]);
  await until('heal-app-2 replaced, the other one failed, all four online again', async () => {
    const { events } = await healing();
    const rows = await listInstances(s.scalarium.db, c.id);
    return events.some((e) => e.kind === 'replaced' && e.instance === 'heal-app-2') && events.some((e) => e.kind === 'failed' && e.instance === FAILS) &&
      rows.filter((i) => i.state === 'online').length === 4 && rows.every((i) => i.state !== 'online' || s.scalarium.hub.peer(i.id));
  }, { timeoutMs: 45_000, everyMs: 100 });
  browser = await launchChromium();
});

test.after.always(async () => {
  await browser?.close();
  await s?.close();
  // Screenshots are kept only where SCALARIUM_SCREENSHOTS asks for them.
  if (!process.env.SCALARIUM_SCREENSHOTS) fs.rmSync(shots, { recursive: true, force: true });
});

const loggedIn = (token: string) => loggedInPage(browser, s.url, token);

const rowsOf = (page: Page, table: string) => page.$$eval(`table.${table} tbody tr`, (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent!.trim())));
const form = (page: Page) => page.locator('form[action="/clusters/heal/healing"]');

test.serial('the Healing tab lists what healing saw and did, the policy and the online instances; markup from a provider stays text', async (t) => {
  const { page, dialogs } = await loggedIn(s.token);
  await page.goto(`${s.url}/clusters/heal`);
  const tabs = await page.$$eval('nav.tabs a', (as) => as.map((a) => a.textContent!.trim()));
  t.true(tabs.includes('Healing'), tabs.join(', '));
  await Promise.all([page.waitForURL(/\/clusters\/heal\/healing$/), page.click('nav.tabs >> text=Healing')]);
  t.is(await page.textContent('nav.tabs a[aria-current="page"]'), 'Healing');
  t.is(await page.textContent('h1'), 'Cluster heal');
  t.is((await page.textContent('p.healing-policy'))!.trim(), 'On: suspect after 3s of silence, replaced after 5s.');
  t.is(await page.locator('.healing-paused').count(), 0);

  const api = await healing();
  const events = await rowsOf(page, 'healing-events');
  t.is(events.length, Math.min(50, api.events.length), 'every event the API has (up to the page\'s 50)');
  // Newest first, as the API: [time, instance, event, why].
  const of = (id: string) => events.filter((e) => e[1] === id).reverse();
  t.deepEqual(of('heal-app-2').slice(0, 3).map((e) => e[2]), ['suspect', 'replacing', 'replaced']);
  t.regex(of('heal-app-2')[0]![3]!, /^no heartbeat for [3-9] s$/);
  t.regex(of('heal-app-2')[1]![3]!, /^no heartbeat for [5-9] s \(replaced after 5 s\)$/);
  t.is(of('heal-app-2')[2]![3], 'terminated; cluster heal brings up its replacement (role app)');
  t.regex(of('heal-app-2')[0]![0]!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/, 'the time reads as a date');
  const policyEvent = events.find((e) => e[2] === 'policy')!;
  t.deepEqual(policyEvent.slice(1), ['', 'policy', 'admin set healing: suspect after 3s of silence, replaced after 5s']);

  const failed = of(FAILS).find((e) => e[2] === 'failed')!;
  t.is(failed[3], `replacing it failed: the cloud said ${HOSTILE}`, 'the provider\'s message is shown as text');
  t.is(await page.locator(`main ${INJECTED}`).count(), 0, 'and made no element');
  t.is(await page.locator('script').count(), 0, 'the page has no script at all');
  t.true((await page.content()).includes('&lt;script&gt;alert(1)&lt;/script&gt;'));

  const instances = await rowsOf(page, 'healing-instances');
  t.deepEqual(instances.map((i) => [i[0], i[1]]).sort(), api.instances.map((i) => [i.instance, i.role]).sort());
  t.deepEqual(instances.map((i) => i[0]).sort(), ['heal-app-1', 'heal-app-2', 'heal-app-3', 'heal-router-1']);
  for (const [id, , silent, status] of instances) {
    t.regex(silent!, /^\d+s$/, id);
    t.is(status, 'ok', id);
  }
  t.true(await form(page).isVisible(), 'the admin may change the policy');
  await page.screenshot({ path: path.join(shots, 'cluster-healing.png'), fullPage: true });
  t.deepEqual(dialogs, []);
  await page.close();
});

test.serial('an admin changes the policy through the form; a bad one shows the error, keeps what was typed and changes nothing', async (t) => {
  const { page } = await loggedIn(s.token);
  await page.goto(`${s.url}/clusters/heal/healing`);
  await form(page).locator('input[name=dryRun]').check();
  await form(page).locator('input[name=replaceAfter]').fill('1m');
  await Promise.all([page.waitForURL(/\/clusters\/heal\/healing\?notice=/), form(page).locator('button').click()]);
  t.is((await page.textContent('.flash.notice'))!.trim(), 'Healing of heal: dry run: suspect after 3s of silence, replaced after 1m');
  t.is((await page.textContent('p.healing-policy'))!.trim(), 'On: dry run: suspect after 3s of silence, replaced after 1m.');
  t.true(await form(page).locator('input[name=dryRun]').isChecked());
  t.is(await form(page).locator('input[name=replaceAfter]').inputValue(), '1m');
  t.like((await healing()).policy, { enabled: true, dryRun: true, suspectAfter: '3s', replaceAfter: '1m' });
  t.regex((await page.textContent('table.healing-events tbody tr:first-child'))!, /admin set healing: dry run: suspect after 3s of silence, replaced after 1m/);

  await form(page).locator('input[name=suspectAfter]').fill('15s');
  await form(page).locator('input[name=replaceAfter]').fill('5s');
  const [answer] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), form(page).locator('button').click()]);
  await page.waitForSelector('.flash.error');
  t.is(answer.status(), 400);
  t.regex((await page.textContent('.flash.error'))!, /replaceAfter \(5s\) must be longer than suspectAfter \(15s\)/);
  t.is(await form(page).locator('input[name=suspectAfter]').inputValue(), '15s', 'what was typed is kept');
  t.is(await form(page).locator('input[name=replaceAfter]').inputValue(), '5s');
  t.true(await form(page).locator('input[name=dryRun]').isChecked());
  t.is((await page.textContent('p.healing-policy'))!.trim(), 'On: dry run: suspect after 3s of silence, replaced after 1m.', 'the policy shown is the stored one');
  t.like((await healing()).policy, { enabled: true, dryRun: true, suspectAfter: '3s', replaceAfter: '1m' }, 'nothing stored');
  await page.screenshot({ path: path.join(shots, 'cluster-healing-error.png'), fullPage: true });
  await page.close();
});

test.serial('a viewer of the cluster reads the tab without the form, and a POST of theirs is refused', async (t) => {
  t.is((await s.api('POST', '/api/users', { name: 'vera' })).status, 201);
  t.is((await s.api('POST', '/api/access', { user: 'vera', cluster: 'heal', role: 'viewer' })).status, 201);
  const vera = await createToken(s.scalarium.db, (await findUserByName(s.scalarium.db, 'vera'))!.id, { name: 'ui' });
  const before = (await healing()).policy;
  const { page, dialogs } = await loggedIn(vera);
  await page.goto(`${s.url}/clusters/heal`);
  await Promise.all([page.waitForURL(/\/clusters\/heal\/healing$/), page.click('nav.tabs >> text=Healing')]);
  t.is(await page.textContent('.who'), 'vera');
  t.regex((await page.textContent('p.healing-policy'))!, /dry run: suspect after 3s/);
  t.true((await rowsOf(page, 'healing-events')).length > 0);
  t.is((await rowsOf(page, 'healing-instances')).length, 4);
  t.is(await form(page).count(), 0, 'no policy form for a viewer');
  t.is(await page.locator('main form').count(), 0);
  await page.screenshot({ path: path.join(shots, 'cluster-healing-viewer.png'), fullPage: true });

  // The POST the form would make, with vera's session and CSRF token (the log-out form has it).
  const csrf = await page.getAttribute('form.logout input[name=csrf]', 'value');
  const refused = await page.request.post(`${s.url}/clusters/heal/healing`, {
    form: { csrf: csrf!, enabled: 'on', suspectAfter: '10s', replaceAfter: '20s' }, headers: { origin: s.url }, maxRedirects: 0,
  });
  t.is(refused.status(), 403);
  t.regex(await refused.text(), /You are not allowed to do that/);
  t.deepEqual((await healing()).policy, before, 'nothing changed');
  t.deepEqual(dialogs, []);
  await page.close();
});
