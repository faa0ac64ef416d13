// App logs from real instances: a real app (test/fixtures/apps/node-logs) prints a 1 MiB line,
// invalid UTF-8, ANSI escapes and HTML; the real agent escapes and splits them; the real router
// sends an access line per request; the API filters them; and the Logs page in a headless
// Chromium shows them as text and tails new lines live (a screenshot is saved for a look).
import test from 'ava';
import { until as waitUntil } from '../helpers/until.ts';
import type { Browser } from 'playwright-core';
import { launchChromium, logInWithToken } from '../helpers/browser.ts';
import { createTestScalarium, type LocalTestScalarium } from '../helpers/harness.ts';
import { authedGitUrl, createAppRepo } from '../helpers/app-repo.ts';
import { getViaRouter } from '../helpers/router-client.ts';

const SCREENSHOT = '/tmp/scalarium-logs-page.png';
let server: LocalTestScalarium;
let browser: Browser | undefined;

test.before(async () => {
  server = await createTestScalarium({ instances: 'local' });
  const created = await server.api('POST', '/api/apps', { name: 'talky' });
  if (created.status !== 201) throw new Error(`creating the app: ${created.status}`);
  const repo = await createAppRepo('node-logs');
  try {
    const push = await repo.push(authedGitUrl(server.url, 'talky', server.token));
    if (push.code !== 0) throw new Error(push.output);
  } finally {
    repo.cleanup();
  }
});
test.after.always(async () => {
  await browser?.close();
  await server?.close();
});

const logs = async (query: string) => (await server.api('GET', `/api/apps/talky/logs?lines=10000&${query}`)).body as string;

/** An end-to-end wait: the server is asked over HTTP, a few times a second. */
const until = <T>(what: string, check: () => Promise<T>, timeoutMs = 30_000) => waitUntil(what, check, { timeoutMs, everyMs: 200 });

test.serial('what a real app prints: a 1 MiB line split at 10 KB, invalid UTF-8 and ANSI escaped; the router logs each request', async (t) => {
  const app = await until('the app\'s start-up lines', async () => {
    const text = await logs('source=app');
    return text.includes('node-logs listening') && text;
  });
  const zs = app.split('\n').filter((l) => / app\[web\.1\]: z+$/.test(l)).map((l) => l.replace(/^.*?: /, ''));
  t.is(zs.join('').length, 1024 * 1024, 'every byte of the 1 MiB line is kept');
  t.true(zs.every((piece) => piece.length <= 10_240), 'in pieces of at most 10 KB');
  t.is(zs.length, Math.ceil((1024 * 1024) / 10_240));
  t.regex(app, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00 app\[web\.1\]: bad \\xff\\xfe utf8$/m);
  t.regex(app, / app\[web\.1\]: \\x1b\[31mred on stderr\\x1b\[0m <script>alert\(1\)<\/script>$/m);

  t.is((await getViaRouter(server.routerPort, 'talky.localhost', '/print?text=hello')).status, 200);
  const router = await until('the router\'s access line', async () => {
    const text = await logs('source=router&grep=/print');
    return text.includes('status=200') && text;
  });
  t.regex(router, /^\S+ router\[local-router-1\]: at=info method=GET path="\/print\?text=hello" host=talky\.localhost fwd="127\.0\.0\.1" status=200 service=\d+ms bytes=\d+ protocol=http\n$/);
  t.regex(await logs('ps=web.1&grep=printed'), / app\[web\.1\]: printed: hello\n$/);
  const platform = await logs('source=scalarium');
  t.regex(platform, / scalarium\[build\]: Push by admin\n/);
  t.regex(platform, / scalarium\[deploy\]: Release v1 by admin is live/);
  t.regex(platform, / scalarium\[ps\]: web talky-web-[0-9a-f]+ is up \(v1\)/);
});

test.serial('the Logs page in a browser: lines as text, a search form, and a live tail', async (t) => {
  browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  // The browser asks for /favicon.ico by itself; any other failed load is the page's.
  page.on('response', (response) => {
    if (response.status() >= 400 && !response.url().endsWith('/favicon.ico')) errors.push(`${response.status()} ${response.url()}`);
  });
  await logInWithToken(page, server.url, server.token);
  await page.goto(`${server.url}/apps/talky`);
  await Promise.all([page.waitForURL(/\/apps\/talky\/logs$/), page.click('nav.tabs >> text=Logs')]);

  // The search form is a plain GET form.
  await page.fill('input[name=grep]', 'stderr');
  await Promise.all([page.waitForURL(/grep=stderr/), page.click('form.log-search button')]);
  const shown = (await page.textContent('pre.log'))!;
  t.regex(shown, /app\[web\.1\]: \\x1b\[31mred on stderr\\x1b\[0m <script>alert\(1\)<\/script>/, 'escapes and HTML shown as text');
  t.is(await page.locator('pre.log script, pre.log b').count(), 0, 'nothing of the app became an element');
  await page.waitForFunction(() => document.getElementById('log-live')?.textContent?.startsWith('Live'));

  // A new line that matches the filter arrives through the live tail, as text.
  await getViaRouter(server.routerPort, 'talky.localhost', `/print?text=${encodeURIComponent('stderr? no: <img src=x onerror=alert(2)> live')}`);
  await page.waitForFunction(() => document.querySelector('pre.log')?.textContent?.includes('live'), undefined, { timeout: 15_000 });
  t.regex((await page.textContent('pre.log'))!, /app\[web\.1\]: printed: stderr\? no: <img src=x onerror=alert\(2\)> live\n$/);
  t.is(await page.locator('pre.log img').count(), 0);
  t.false((await page.textContent('pre.log'))!.includes('status=200'), 'the filter holds for live lines: the router line has no "stderr"');

  // Everything, as the page first shows it, for a look at the screenshot.
  await page.goto(`${server.url}/apps/talky/logs?source=router`);
  await page.goto(`${server.url}/apps/talky/logs?since=1h&grep=a`);
  await page.screenshot({ path: SCREENSHOT, fullPage: false });
  t.deepEqual(dialogs, []);
  t.deepEqual(errors, []);
});
