// The Alerts pages in a real headless Chromium: a manager adds a rule through the app's tab (a bad
// threshold re-renders the form with the error and what was typed), the admin adds a notifier and
// turns a built-in alert off on the server's page, and a failed deploy whose error carries markup
// shows up in the history as inert text. Screenshots go to SCALARIUM_SCREENSHOTS (or a temp dir).
process.env.SCALARIUM_ALERT_INTERVAL = '0.2';

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import type { Browser } from 'playwright-core';
import { launchChromium, loggedInPage } from '../../test/helpers/browser.ts';
import { until } from '../../cli/test-support.ts';
import { builtinPlugins } from '../builtin.ts';
import { createTestScalarium, type TestScalarium } from '../../test/helpers/harness.ts';
import type { Plugin } from '../../server/plugin-api.ts';

const HOSTILE = `<img src=x onerror="alert('xss')"><script>alert(1)</script>`;
const INJECTED = 'img, script:not([src]), svg[onload], [onerror], [onload]';
const shots = process.env.SCALARIUM_SCREENSHOTS ?? fs.mkdtempSync(path.join(os.tmpdir(), 'scalarium-alerts-shots-'));

let failDeploys = false;
const failingDeploys: Plugin = {
  name: 'test-failing-deploys',
  apply(scalarium) {
    scalarium.hooks.deploy.tapPromise('test', async () => {
      if (failDeploys) throw new Error(`the hook said ${HOSTILE}`);
    });
  },
};

let s: TestScalarium;
let browser: Browser;

test.before(async () => {
  s = await createTestScalarium({ plugins: [...builtinPlugins(), failingDeploys] });
  for (const name of ['shop']) await s.api('POST', '/api/apps', { name });
  browser = await launchChromium();
});

test.after.always(async () => {
  await browser?.close();
  await s?.close();
  // Screenshots are kept only where SCALARIUM_SCREENSHOTS asks for them.
  if (!process.env.SCALARIUM_SCREENSHOTS) fs.rmSync(shots, { recursive: true, force: true });
});

const loggedIn = () => loggedInPage(browser, s.url, s.token);

test('a rule is added on the app\'s Alerts tab; a bad threshold comes back with the error and what was typed', async (t) => {
  const { page, dialogs } = await loggedIn();
  await page.goto(`${s.url}/apps/shop`);
  await Promise.all([page.waitForURL(/\/apps\/shop\/alerts$/), page.click('nav.tabs >> text=Alerts')]);
  const form = page.locator('form[action="/apps/shop/alerts"]');
  await form.locator('select[name=metric]').selectOption('p95_ms');
  await form.locator('input[name=threshold]').fill('lots');
  await form.locator('input[name=for]').fill('5m');
  await form.locator('button').click();
  await page.waitForSelector('.flash.error');
  t.regex((await page.textContent('.flash.error'))!, /threshold must be a number, got "lots"/);
  t.is(await form.locator('input[name=for]').inputValue(), '5m', 'what was typed is kept');
  t.is((await s.api('GET', '/api/apps/shop/alerts')).body.filter((r: { builtin: string | null }) => !r.builtin).length, 0, 'nothing stored');

  await form.locator('input[name=threshold]').fill('500');
  await Promise.all([page.waitForURL(/\/apps\/shop\/alerts/), form.locator('button').click()]);
  await page.waitForSelector('.flash.notice');
  t.regex((await page.textContent('.flash.notice'))!, /Alert rule \d+ added: p95_ms above 500 ms for 5m/);
  t.regex((await page.textContent('table.alerts'))!, /p95_ms above 500 ms for 5m/);
  await page.screenshot({ path: path.join(shots, 'app-alerts.png'), fullPage: true });
  t.deepEqual(dialogs, []);
});

test('the admin adds a notifier and turns a built-in alert off; a failed deploy\'s markup is inert in the history', async (t) => {
  failDeploys = true;
  await t.throwsAsync(s.deployFakeRelease('shop', { processTypes: { web: 'node server.js' } }));
  failDeploys = false;
  await until('the deploy_failed alert', async () => (await s.api('GET', '/api/apps/shop/alerts/history')).body.length > 0);

  const { page, dialogs } = await loggedIn();
  await Promise.all([page.waitForURL(/\/alerts$/), page.click('header >> text=Alerts')]);
  const add = page.locator('form[action="/alerts/notifiers"]');
  await add.locator('input[name=name]').fill('ops-hook');
  await add.locator('select[name=kind]').selectOption('webhook');
  await add.locator('input[name=target]').fill('https://203.0.113.10/hooks/T000/SECRET');
  await add.locator('input[name=default]').check();
  await Promise.all([page.waitForURL(/notice=|\/alerts/), add.locator('button').click()]);
  await page.waitForSelector('.flash.notice');
  const notifiers = (await page.textContent('table.notifiers'))!;
  t.regex(notifiers, /ops-hook/);
  t.false(notifiers.includes('SECRET'), 'the webhook\'s path is not shown');

  const off = page.locator('form[action="/alerts/builtin/error_rate"]');
  await Promise.all([page.waitForURL(/\/alerts/), off.locator('button').click()]);
  await page.waitForSelector('.flash.notice');
  t.regex((await page.textContent('.flash.notice'))!, /error_rate is off/);

  t.regex((await page.textContent('table.alerts'))!, /deploy_failed/, 'the firing alert is listed');
  const history = (await page.textContent('table.alert-history'))!;
  t.true(history.includes(HOSTILE), 'the error is shown as text');
  t.is(await page.locator(`table.alert-history ${INJECTED}`).count(), 0);
  await page.screenshot({ path: path.join(shots, 'server-alerts.png'), fullPage: true });
  await page.goto(`${s.url}/apps/shop/alerts`);
  await page.screenshot({ path: path.join(shots, 'app-alerts-history.png'), fullPage: true });
  t.deepEqual(dialogs, []);
});
