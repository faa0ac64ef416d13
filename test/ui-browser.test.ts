// The admin UI in a real headless Chromium: the admin chooses a password through the first-start
// invite link and logs in with it; a person logs in with a token; hostile strings in every field
// the UI shows that a user controls (config values, emails, typed names kept in forms, audit rows,
// flash notices, the build log, SSH key comments, filter fields) render as inert text: no dialog,
// no injected element.
import test, { type ExecutionContext } from 'ava';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './helpers/browser.ts';
import { createTestScalarium, type LocalTestScalarium } from './helpers/harness.ts';
import { authedGitUrl, createAppRepo } from './helpers/app-repo.ts';
import { openDatabase } from '../server/db/knex.ts';
import { appendAudit } from '../server/db/audit.ts';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

let server: LocalTestScalarium;
let browser: Browser;

test.before(async () => {
  server = await createTestScalarium({ instances: 'local' });
  browser = await launchChromium();
});

test.after.always(async () => {
  await browser?.close();
  await server?.close();
});

const hostile = `<img src=x onerror="alert('xss')"><script>alert('xss')</script>"'><svg onload=alert(1)>`;
/** Short enough for fields with a maxlength. */
const shortHostile = `"><img src=x onerror=alert(1)>`;
/** Everything an injection would have produced; our templates have none of these. */
const INJECTED = 'script, img, svg, iframe, object, embed, [onerror], [onload], [onclick], [onmouseover]';

async function openPage(): Promise<{ page: Page; dialogs: string[] }> {
  const page = await browser.newPage();
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  return { page, dialogs };
}

async function assertInert(t: ExecutionContext, page: Page, label: string): Promise<void> {
  t.is(await page.locator(INJECTED).count(), 0, `${label}: no injected element`);
}

test('hostile strings render inert; login, app page and forms work in a browser', async (t) => {
  t.is((await server.api('POST', '/api/apps', { name: 'showcase' })).status, 201);
  t.is((await server.api('PATCH', '/api/apps/showcase/config', { HOSTILE: hostile })).status, 200);

  const { page, dialogs } = await openPage();
  await page.goto(`${server.url}/`);
  t.regex(page.url(), /\/login$/, 'unauthenticated visits go to the login page');
  await page.fill('input[name=token]', server.token);
  await Promise.all([page.waitForURL(`${server.url}/`), page.click('form:has(input[name=token]) button')]);
  await page.click('text=showcase');
  await page.waitForURL(/\/apps\/showcase$/);
  t.true((await page.textContent('body'))!.includes(hostile), 'the value is shown as text');
  await assertInert(t, page, 'config value');
  await page.goto(`${server.url}/apps/showcase?notice=${encodeURIComponent(hostile)}`);
  t.is(await page.locator('.flash.notice').textContent(), hostile.slice(0, 200));
  await assertInert(t, page, 'app notice');

  // Set a var through the form: a real POST with the session's CSRF token.
  const form = page.locator('form[action="/apps/showcase/config"]');
  await form.locator('input[name=key]').fill('COLOUR');
  await form.locator('input[name=value]').fill('teal');
  await Promise.all([page.waitForURL(/notice=/), form.locator('button').click()]);
  t.is((await server.api('GET', '/api/apps/showcase/config')).body.COLOUR, 'teal');
  t.deepEqual(dialogs, []);
});

test('the admin sets a password through the first-start link, logs in with it, and no user-controlled field injects anything', async (t) => {
  // An app whose build prints markup into the build log.
  t.is((await server.api('POST', '/api/apps', { name: 'buildlog' })).status, 201);
  const repo = await createAppRepo('node-hello');
  t.teardown(() => repo.cleanup());
  repo.write('package.json', JSON.stringify({
    name: 'node-hello', version: '1.0.0', private: true, type: 'commonjs',
    scripts: { start: 'node server.js', build: `node -e "console.log('<img src=x onerror=alert(1)>' + '<script>alert(2)</' + 'script>')"` },
  }, null, 2));
  // …and whose deploy hook prints markup into the lifecycle event output on the cluster page.
  fs.mkdirSync(path.join(repo.dir, '.scalarium', 'hooks'), { recursive: true });
  repo.write('.scalarium/hooks/deploy', `#!/bin/sh\ncat >/dev/null\necho '${hostile.replace(/'/g, "'\\''")}'\n`);
  fs.chmodSync(path.join(repo.dir, '.scalarium', 'hooks', 'deploy'), 0o755);
  await repo.commit('hostile build output');
  const pushed = await repo.push(authedGitUrl(server.url, 'buildlog', server.token));
  t.is(pushed.code, 0, pushed.output);

  // A user whose email is valid but looks like markup once entities are decoded twice.
  const email = '&lt;img/src=x/onerror=alert(1)&gt;@x.org';
  const created = await server.api('POST', '/api/users', { name: 'mallory', email });
  t.is(created.status, 201, JSON.stringify(created.body));
  // Audit rows with markup in every column a client can influence.
  const db = await openDatabase(server.dataDir);
  await appendAudit(db, { actor: hostile, source: hostile, action: hostile, target: hostile, outcome: 'denied', detail: { note: hostile, nested: [hostile] } });
  await db.destroy();

  const { page, dialogs } = await openPage();
  // The failed login echoes the typed name back into the form.
  await page.goto(`${server.url}/login`);
  await page.fill('input[name=name]', shortHostile);
  await page.fill('input[name=password]', 'wrong password');
  const [failed] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.click('form:has(input[name=password]) button')]);
  t.is(failed.status(), 401);
  t.regex(await page.locator('.flash.error').first().textContent() ?? '', /Wrong user name or password/);
  t.is(await page.inputValue('input[name=name]'), shortHostile);
  await assertInert(t, page, 'login form');

  // First start: the server printed a one-time link for the admin's password.
  const invite = /choose the admin password at (http:\/\/\S+\/invite\/[A-Za-z0-9_-]+)/.exec(server.output())?.[1];
  t.truthy(invite, 'the first start prints an invite link');
  await page.goto(invite!);
  t.regex(await page.textContent('main') ?? '', /Welcome, admin/);
  await page.fill('input[name=password]', 'password123');
  await page.fill('input[name=confirmation]', 'password123');
  const [weak] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.click('main form button')]);
  t.is(weak.status(), 400);
  t.regex(await page.textContent('.flash.error') ?? '', /most common passwords/);
  const password = `admin ${crypto.randomBytes(6).toString('hex')} passphrase`;
  await page.fill('input[name=password]', password);
  await page.fill('input[name=confirmation]', password);
  await Promise.all([page.waitForURL(`${server.url}/`), page.click('main form button')]);
  t.is(await page.textContent('.who'), 'admin');
  t.is(await page.locator('nav a[href="/users"]').count(), 1);

  // Log out and back in with the new password.
  await Promise.all([page.waitForURL(/\/login$/), page.click('form.logout button')]);
  await page.fill('input[name=name]', 'admin');
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForURL(`${server.url}/`), page.click('form:has(input[name=password]) button')]);
  t.is(await page.textContent('.who'), 'admin');

  // The build log.
  await page.goto(`${server.url}/apps/buildlog`);
  const log = await page.textContent('pre.log');
  t.true(log!.includes('<img src=x onerror=alert(1)><script>alert(2)</script>'), 'the build output is shown as text');
  await assertInert(t, page, 'build log');

  // One-click deploys: a hostile archive URL comes back as the error and in the form, inert; the
  // latest-commit button deploys.
  const archiveForm = page.locator('form:has(input[name=archive])');
  await archiveForm.evaluate((form: HTMLFormElement) => { form.noValidate = true; });
  await archiveForm.locator('input[name=archive]').fill(`http://127.0.0.1:1/${shortHostile}`);
  const [badArchive] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), archiveForm.locator('button').click()]);
  t.is(badArchive.status(), 422);
  t.regex(await page.textContent('.flash.error') ?? '', /refused to fetch .*loopback/);
  t.is(await page.inputValue('input[name=archive]'), `http://127.0.0.1:1/${shortHostile}`);
  await assertInert(t, page, 'deploy error');
  // The latest-commit button leads to the deploy's live page: the build output streams in as text,
  // and the outcome comes last.
  await Promise.all([page.waitForURL(/\/apps\/buildlog\/deploys\/[\w-]+$/, { waitUntil: 'commit' }), page.click('text=Deploy latest commit')]);
  await page.locator('.flash.notice', { hasText: 'Deployed v2' }).waitFor({ timeout: 60_000 });
  t.true((await page.textContent('pre.log'))!.includes('<img src=x onerror=alert(1)><script>alert(2)</script>'), 'the live build output is text');
  await assertInert(t, page, 'live deploy');
  await Promise.all([page.waitForURL(/\/apps\/buildlog$/), page.click('text=Back to buildlog')]);

  // The cluster page: the hook's output (shown when the run's details are opened) is text.
  await page.click('dd a[href="/clusters/local"]');
  await page.waitForURL(/\/clusters\/local$/);
  const run = page.locator('table.events tr', { hasText: 'buildlog' }).first();
  await run.locator('summary').click();
  t.true((await run.locator('pre.log').textContent())!.includes(`[buildlog] ${hostile}`), 'the hook output is shown as text');
  await assertInert(t, page, 'lifecycle event output');

  // Users: the email, a notice, and a failed form that keeps (and quotes) what was typed.
  await page.goto(`${server.url}/users?notice=${encodeURIComponent(hostile)}`);
  t.true((await page.textContent('main'))!.includes(email), 'the email is shown literally, entities and all');
  t.is(await page.locator('.flash.notice').textContent(), hostile.slice(0, 200));
  await assertInert(t, page, 'users');
  const userForm = page.locator('form[action="/users"]');
  await userForm.evaluate((form: HTMLFormElement) => { form.noValidate = true; });
  await userForm.locator('input[name=name]').fill(shortHostile);
  await userForm.locator('input[name=email]').evaluate((input: HTMLInputElement) => { input.type = 'text'; });
  await userForm.locator('input[name=email]').fill(hostile);
  const [refused] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), userForm.locator('button').click()]);
  t.is(refused.status(), 400);
  t.regex(await page.textContent('.flash.error') ?? '', /is not a valid user name/);
  t.is(await page.inputValue('form[action="/users"] input[name=name]'), shortHostile);
  t.is(await page.inputValue('form[action="/users"] input[name=email]'), hostile);
  await assertInert(t, page, 'users form error');

  // The audit log: columns, detail JSON, and the filter form echoing its values.
  await page.goto(`${server.url}/audit?outcome=denied`);
  const auditText = (await page.textContent('table.audit'))!;
  t.true(auditText.includes(hostile));
  t.true(auditText.includes(JSON.stringify({ note: hostile, nested: [hostile] })));
  t.true(auditText.includes(shortHostile), 'the failed login name');
  await assertInert(t, page, 'audit');
  await page.goto(`${server.url}/audit?actor=${encodeURIComponent(hostile)}&target=${encodeURIComponent(hostile)}`);
  t.is(await page.inputValue('input[name=actor]'), hostile);
  t.is(await page.locator('table.audit tbody tr').count(), 1);
  await assertInert(t, page, 'audit filters');
  const exportHref = await page.getAttribute('a.export', 'href');
  t.is(new URL(exportHref!, server.url).searchParams.get('actor'), hostile);

  // Account: an SSH key with a hostile comment, added through the form; a notice; a bad token name.
  const key = sshPublicKey(hostile);
  await page.goto(`${server.url}/account?notice=${encodeURIComponent(hostile)}`);
  t.is(await page.locator('.flash.notice').textContent(), hostile.slice(0, 200));
  await assertInert(t, page, 'account notice');
  await page.fill('textarea[name=publicKey]', key);
  await Promise.all([page.waitForURL(/\/account\?notice=Added/), page.click('form[action="/account/keys"] button')]);
  t.is(await page.locator('td.comment').textContent(), hostile);
  await assertInert(t, page, 'ssh key comment');
  const tokenForm = page.locator('form[action="/account/tokens"]');
  await tokenForm.evaluate((form: HTMLFormElement) => { form.noValidate = true; });
  await tokenForm.locator('input[name=name]').fill(shortHostile);
  await tokenForm.locator('input[name=expires]').fill(shortHostile);
  const [badToken] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), tokenForm.locator('button').click()]);
  t.is(badToken.status(), 400);
  t.regex(await page.textContent('.flash.error') ?? '', /is not a valid token name/);
  t.is(await page.inputValue('form[action="/account/tokens"] input[name=name]'), shortHostile);
  await assertInert(t, page, 'token form error');
  // A token made through the form, shown once.
  await tokenForm.locator('input[name=name]').fill('ci');
  await tokenForm.locator('input[name=expires]').fill('7d');
  await tokenForm.locator('select[name=role]').selectOption('viewer');
  const [made] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), tokenForm.locator('button').click()]);
  t.is(made.status(), 201);
  const token = await page.textContent('code.token');
  t.regex(token ?? '', /^scl_[0-9A-Za-z]{30}_[0-9A-Za-z]{6}$/);
  t.is((await server.api('GET', '/api/whoami', undefined, token!)).status, 200);

  t.deepEqual(dialogs, []);
});

/** A fresh OpenSSH ed25519 public key line with the given comment. */
function sshPublicKey(comment: string): string {
  const { publicKey } = crypto.generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const sshString = (b: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(b.length, 0);
    return Buffer.concat([length, b]);
  };
  return `ssh-ed25519 ${Buffer.concat([sshString(Buffer.from('ssh-ed25519')), sshString(raw)]).toString('base64')} ${comment}`;
}
