// The admin UI over real HTTP against a real server: login (token and password, invites, throttling
// and the device cookie) and sessions, CSRF, escaping, security headers, that state changes happen
// only through POSTed forms, and who may see and do what (users, audit log, account, roles).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { createTestScalarium, type LocalTestScalarium } from './helpers/harness.ts';
import { authedGitUrl, createAppRepo } from './helpers/app-repo.ts';
import { openDatabase } from '../server/db/knex.ts';
import { listAudit, queryAudit } from '../server/db/audit.ts';

let server: LocalTestScalarium;

test.before(async () => {
  server = await createTestScalarium({ instances: 'local' });
});

test.after.always(async () => {
  await server?.close();
});

const COOKIE = 'scalarium_session';

function sessionCookie(res: Response): string | undefined {
  const header = res.headers.getSetCookie().find((c) => c.startsWith(`${COOKIE}=`));
  return header;
}

async function get(path: string, cookie?: string): Promise<Response> {
  return fetch(`${server.url}${path}`, { redirect: 'manual', headers: cookie ? { cookie } : {} });
}

async function post(path: string, form: Record<string, string>, cookie?: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method: 'POST', redirect: 'manual', body: new URLSearchParams(form),
    headers: { ...(cookie ? { cookie } : {}), ...headers },
  });
}

/** Logs in with the admin token; returns the Cookie header value and the session's csrf token. */
async function login(): Promise<{ cookie: string; csrf: string }> {
  const res = await post('/login', { token: server.token });
  const setCookie = sessionCookie(res);
  if (res.status !== 303 || !setCookie) throw new Error(`login failed: ${res.status}`);
  const cookie = setCookie.split(';')[0]!;
  const page = await (await get('/', cookie)).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1];
  if (!csrf) throw new Error('no csrf token on the apps page');
  return { cookie, csrf };
}

let appCounter = 0;
async function createApp(): Promise<string> {
  const name = `ui-app-${process.pid % 1000}-${++appCounter}`;
  const res = await server.api('POST', '/api/apps', { name });
  if (res.status !== 201) throw new Error(`app create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return name;
}

async function apiConfig(app: string): Promise<Record<string, string>> {
  return (await server.api('GET', `/api/apps/${app}/config`)).body;
}

test('the login page renders with security headers', async (t) => {
  const res = await get('/login');
  t.is(res.status, 200);
  t.regex(res.headers.get('content-type') ?? '', /text\/html/);
  t.is(res.headers.get('content-security-policy'), "default-src 'self'; style-src 'self'; script-src 'none'; frame-ancestors 'none'; form-action 'self'");
  t.is(res.headers.get('x-frame-options'), 'DENY');
  const html = await res.text();
  t.regex(html, /<form method="post" action="\/login">/);
  t.regex(html, /name="token"/);
  // User name and password come first; the API token is the second way in.
  t.true(html.indexOf('name="password"') > 0);
  t.true(html.indexOf('name="name"') < html.indexOf('name="token"'));
});

test('the stylesheet is served', async (t) => {
  const res = await get('/assets/style.css');
  t.is(res.status, 200);
  t.regex(res.headers.get('content-type') ?? '', /text\/css/);
  t.regex(await res.text(), /\.top/);
});

test('a wrong token is refused with 401 and no cookie', async (t) => {
  const res = await post('/login', { token: 'scl_wrong' });
  t.is(res.status, 401);
  t.is(sessionCookie(res), undefined);
  t.regex(await res.text(), /not valid/);
  const empty = await post('/login', {});
  t.is(empty.status, 401);
  t.is(sessionCookie(empty), undefined);
});

test('the right token sets an HttpOnly, SameSite=Lax session cookie and redirects home', async (t) => {
  const res = await post('/login', { token: server.token });
  t.is(res.status, 303);
  t.is(res.headers.get('location'), '/');
  const cookie = sessionCookie(res);
  t.truthy(cookie);
  // Attribute names are case-insensitive (RFC 6265); koa's cookies writes them in lower case.
  t.regex(cookie!, /; HttpOnly/i);
  t.regex(cookie!, /; SameSite=Lax/i);
  t.regex(cookie!, /; Path=\//i);
  t.notRegex(cookie!, /Secure/i, 'plain http gets no Secure flag');
  t.false(res.headers.getSetCookie().some((c) => c.startsWith(`${COOKIE}.sig=`)), 'the session id needs no signature');
  // Every login makes a fresh session id.
  const again = sessionCookie(await post('/login', { token: server.token }));
  t.not(again!.split(';')[0], cookie!.split(';')[0]);
});

test('pages need a session: unauthenticated requests go to /login', async (t) => {
  for (const path of ['/', '/apps/whatever']) {
    const res = await get(path);
    t.is(res.status, 302, path);
    t.is(res.headers.get('location'), '/login');
  }
  const bogus = await get('/', `${COOKIE}=${'x'.repeat(43)}`);
  t.is(bogus.status, 302);
  const postRes = await post('/apps/whatever/restart', { csrf: 'x' });
  t.is(postRes.status, 303);
  t.is(postRes.headers.get('location'), '/login');
});

test('the apps list shows apps with links to their pages', async (t) => {
  const app = await createApp();
  const { cookie } = await login();
  const res = await get('/', cookie);
  t.is(res.status, 200);
  t.truthy(res.headers.get('content-security-policy'));
  const html = await res.text();
  t.true(html.includes(`<a href="/apps/${app}">${app}</a>`));
  t.regex(html, /not deployed/);
  t.regex(html, /Log out/);
});

test('the app page shows config vars set through the API, escaped', async (t) => {
  const app = await createApp();
  const patch = await server.api('PATCH', `/api/apps/${app}/config`, { GREETING: 'hello', EVIL: '<script>alert(1)</script>' });
  t.is(patch.status, 200);
  t.is(patch.body.release, null, 'no release before the first deploy');
  const { cookie } = await login();
  const res = await get(`/apps/${app}`, cookie);
  t.is(res.status, 200);
  const html = await res.text();
  t.regex(html, /GREETING/);
  t.regex(html, />hello</);
  t.false(html.includes('<script>alert(1)'));
  t.true(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  t.regex(html, /git remote add scalarium http:\/\/127\.0\.0\.1:\d+\/ui-app-/);
  t.regex(html, /No releases yet/);
});

test('a flash notice in the query string is rendered escaped', async (t) => {
  const app = await createApp();
  const { cookie } = await login();
  const html = await (await get(`/apps/${app}?notice=${encodeURIComponent('<script>alert(1)</script>')}`, cookie)).text();
  t.false(html.includes('<script>alert(1)'));
  t.true(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
});

test('setting a config var through the form works with the csrf token', async (t) => {
  const app = await createApp();
  const { cookie, csrf } = await login();
  const res = await post(`/apps/${app}/config`, { csrf, key: 'COLOR', value: 'blue' }, cookie);
  t.is(res.status, 303);
  t.is(res.headers.get('location'), `/apps/${app}?notice=Set%20COLOR`);
  t.deepEqual(await apiConfig(app), { COLOR: 'blue' });
  const page = await (await get(res.headers.get('location')!, cookie)).text();
  t.regex(page, /Set COLOR/);
  t.regex(page, />blue</);

  const unset = await post(`/apps/${app}/config/unset`, { csrf, key: 'COLOR' }, cookie);
  t.is(unset.status, 303);
  t.deepEqual(await apiConfig(app), {});
});

test('forms without, or with a wrong, csrf token are refused with 403', async (t) => {
  const app = await createApp();
  await server.api('PATCH', `/api/apps/${app}/config`, { KEEP: 'same' });
  const { cookie, csrf } = await login();
  const missing = await post(`/apps/${app}/config`, { key: 'KEEP', value: 'changed' }, cookie);
  t.is(missing.status, 403);
  const wrong = await post(`/apps/${app}/config`, { csrf: `${csrf.slice(0, -2)}xx`, key: 'KEEP', value: 'changed' }, cookie);
  t.is(wrong.status, 403);
  const short = await post(`/apps/${app}/config/unset`, { csrf: 'a', key: 'KEEP' }, cookie);
  t.is(short.status, 403);
  t.deepEqual(await apiConfig(app), { KEEP: 'same' });
});

test('cross-origin posts are refused even with the right csrf token', async (t) => {
  const app = await createApp();
  const { cookie, csrf } = await login();
  const form = { csrf, key: 'FROM', value: 'elsewhere' };
  t.is((await post(`/apps/${app}/config`, form, cookie, { origin: 'http://evil.example' })).status, 403);
  t.is((await post(`/apps/${app}/config`, form, cookie, { origin: 'null' })).status, 403);
  t.is((await post(`/apps/${app}/config`, form, cookie, { 'sec-fetch-site': 'cross-site' })).status, 403);
  t.is((await post('/login', { token: server.token }, undefined, { 'sec-fetch-site': 'same-site' })).status, 403);
  t.deepEqual(await apiConfig(app), {});
  const same = await post(`/apps/${app}/config`, form, cookie, { origin: server.url, 'sec-fetch-site': 'same-origin' });
  t.is(same.status, 303);
  t.deepEqual(await apiConfig(app), { FROM: 'elsewhere' });
});

test('there is no state change on GET', async (t) => {
  const app = await createApp();
  const { cookie } = await login();
  for (const path of ['rollback', 'restart', 'scale', 'config', 'config/unset', 'deploy']) {
    const res = await get(`/apps/${app}/${path}?csrf=x&key=A&value=b&version=1&commit=main`, cookie);
    t.true(res.status === 404 || res.status === 405, `${path}: ${res.status}`);
  }
  t.is((await get('/logout', cookie)).status >= 400, true);
  t.deepEqual(await apiConfig(app), {});
});

test('failed actions re-render the app page with the error and its status', async (t) => {
  const app = await createApp();
  const { cookie, csrf } = await login();
  const badKey = await post(`/apps/${app}/config`, { csrf, key: 'NOT-VALID', value: 'x' }, cookie);
  t.is(badKey.status, 400);
  const html = await badKey.text();
  t.regex(html, /is not a valid config var name/);
  t.regex(html, /value="NOT-VALID"/, 'the form keeps what was typed');
  const rollback = await post(`/apps/${app}/rollback`, { csrf, version: '1' }, cookie);
  t.is(rollback.status, 409);
  t.regex(await rollback.text(), /has no release yet/);
  const scale = await post(`/apps/${app}/scale`, { csrf, type: 'web', count: '2' }, cookie);
  t.is(scale.status, 409);
  const restart = await post(`/apps/${app}/restart`, { csrf }, cookie);
  t.is(restart.status, 409);
  const missing = await get('/apps/no-such-app', cookie);
  t.is(missing.status, 404);
  t.regex(await missing.text(), /No app named/);
});

test('logout deletes the session on the server', async (t) => {
  const { cookie, csrf } = await login();
  t.is((await get('/', cookie)).status, 200);
  const refused = await post('/logout', { csrf: 'wrong' }, cookie);
  t.is(refused.status, 403);
  t.is((await get('/', cookie)).status, 200, 'a forged logout does nothing');
  const res = await post('/logout', { csrf }, cookie);
  t.is(res.status, 303);
  t.is(res.headers.get('location'), '/login');
  t.regex(sessionCookie(res) ?? '', /^scalarium_session=; .*expires=Thu, 01 Jan 1970 00:00:00 GMT/i, 'the cookie is deleted');
  const after = await get('/', cookie);
  t.is(after.status, 302, 'the old cookie no longer works');
  t.is(after.headers.get('location'), '/login');
});

test('with releases, every non-current release has a rollback button that works', async (t) => {
  const app = await createApp();
  const repo = await createAppRepo('procfile-only');
  t.teardown(() => repo.cleanup());
  t.is((await repo.push(authedGitUrl(server.url, app, server.token))).code, 0);
  await repo.commit('v2');
  t.is((await repo.push(authedGitUrl(server.url, app, server.token))).code, 0);
  const { cookie, csrf } = await login();
  const html = await (await get(`/apps/${app}`, cookie)).text();
  t.regex(html, /<pre class="log">[^<]*Procfile/);
  const buttons = [...html.matchAll(/name="version" value="(\d+)"/g)].map((m) => m[1]);
  t.deepEqual(buttons, ['1'], 'v2 is current and has no button');
  const res = await post(`/apps/${app}/rollback`, { csrf, version: '1' }, cookie);
  t.is(res.status, 303);
  t.is(res.headers.get('location'), `/apps/${app}?notice=${encodeURIComponent('Rolled back to v1 (now v3)')}`);
  const releases = (await server.api('GET', `/api/apps/${app}/releases`)).body as Array<{ version: number; description: string }>;
  t.is(releases[0]!.version, 3);
  t.is(releases[0]!.description, 'Rollback to v1');
});

test('logins, failed logins and refused forms are audited', async (t) => {
  await post('/login', { token: 'scl_audited_wrong' });
  const { cookie } = await login();
  await post('/apps/whatever/config', { csrf: 'nope', key: 'A', value: 'b' }, cookie);
  const db = await openDatabase(server.dataDir);
  t.teardown(() => db.destroy());
  const entries = await listAudit(db, 500);
  t.true(entries.some((e) => e.action === 'ui.login' && e.outcome === 'denied' && e.actor === 'anonymous'));
  t.true(entries.some((e) => e.action === 'ui.login' && e.outcome === 'ok' && e.actor === 'admin'));
  t.true(entries.some((e) => e.action === 'POST /apps/whatever/config' && e.outcome === 'denied'));
});

// ---------------------------------------------------------------------------------------------------
// Users, passwords and rights. A small cookie jar per "browser" (paths are ignored: every cookie is
// sent everywhere, which only makes the checks stricter).

const DEVICE = 'scalarium_device';
const CSRF_COOKIE = 'scalarium_csrf';

class Browser {
  readonly jar = new Map<string, string>();

  get cookie(): string {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private remember(res: Response): Response {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair!.indexOf('=');
      const name = pair!.slice(0, at);
      const value = pair!.slice(at + 1);
      if (!value || /Max-Age=0/i.test(line)) this.jar.delete(name);
      else this.jar.set(name, value);
    }
    return res;
  }

  async get(path: string): Promise<Response> {
    return this.remember(await get(path, this.cookie || undefined));
  }

  async post(path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    return this.remember(await post(path, form, this.cookie || undefined, headers));
  }

  /** The CSRF token of the page's forms. */
  async csrf(path = '/account'): Promise<string> {
    const html = await (await this.get(path)).text();
    const token = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
    if (!token) throw new Error(`no csrf token on ${path}`);
    return token;
  }
}

let userCounter = 0;
const uniqueName = (prefix: string) => `${prefix}-${process.pid % 1000}-${++userCounter}`;

/** A user made through the API; the invite link's path. */
async function createUser(name: string, body: Record<string, unknown> = {}): Promise<string> {
  const res = await server.api('POST', '/api/users', { name, ...body });
  if (res.status !== 201) throw new Error(`user create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return new URL(res.body.inviteUrl).pathname;
}

async function acceptInvite(browser: Browser, invitePath: string, password: string, confirmation = password): Promise<Response> {
  const html = await (await browser.get(invitePath)).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
  return browser.post(invitePath, { csrf, password, confirmation });
}

/** A user who has chosen a password, with a browser logged in as them. */
async function newUser(prefix: string, password = 'correct horse battery staple'): Promise<{ name: string; password: string; browser: Browser }> {
  const name = uniqueName(prefix);
  const browser = new Browser();
  const res = await acceptInvite(browser, await createUser(name), password);
  if (res.status !== 303) throw new Error(`invite failed: ${res.status} ${await res.text()}`);
  return { name, password, browser };
}

async function adminBrowser(): Promise<Browser> {
  const browser = new Browser();
  const res = await browser.post('/login', { token: server.token });
  if (res.status !== 303) throw new Error(`admin login failed: ${res.status}`);
  return browser;
}

async function auditRows(query: Parameters<typeof queryAudit>[1]) {
  const db = await openDatabase(server.dataDir);
  try {
    return await queryAudit(db, { limit: 5000, ...query });
  } finally {
    await db.destroy();
  }
}

test('an invite link shows a password form; choosing a password logs the user in', async (t) => {
  const name = uniqueName('invitee');
  const invitePath = await createUser(name, { email: `${name}@example.org` });
  const browser = new Browser();
  const page = await browser.get(invitePath);
  t.is(page.status, 200);
  t.is(page.headers.get('referrer-policy'), 'same-origin', 'the secret URL is not sent to other sites');
  t.truthy(page.headers.get('content-security-policy'));
  const html = await page.text();
  t.true(html.includes(`<strong>${name}</strong>`));
  const setCookie = page.headers.getSetCookie().find((c) => c.startsWith(`${CSRF_COOKIE}=`));
  t.truthy(setCookie);
  t.regex(setCookie!, /; HttpOnly/i);
  t.regex(setCookie!, /; SameSite=Strict/i);
  t.is(/name="csrf" value="([^"]+)"/.exec(html)?.[1], browser.jar.get(CSRF_COOKIE), 'the hidden field doubles the cookie');

  const mismatch = await browser.post(invitePath, { csrf: browser.jar.get(CSRF_COOKIE)!, password: 'one long passphrase', confirmation: 'another long passphrase' });
  t.is(mismatch.status, 400);
  t.regex(await mismatch.text(), /do not match/);

  const res = await acceptInvite(browser, invitePath, 'one long passphrase');
  t.is(res.status, 303);
  t.is(res.headers.get('location'), '/');
  t.truthy(browser.jar.get(COOKIE), 'a session');
  t.truthy(browser.jar.get(DEVICE), 'and a device cookie');
  t.false(browser.jar.has(CSRF_COOKIE), 'the csrf cookie is cleared');
  const home = await browser.get('/');
  t.is(home.status, 200);
  const homeHtml = await home.text();
  t.true(homeHtml.includes(`<span class="who">${name}</span>`));
  t.false(homeHtml.includes('href="/users"'), 'no admin menu for a plain user');
  t.true(homeHtml.includes('href="/account"'));

  const users = (await server.api('GET', '/api/users')).body as Array<{ name: string; hasPassword: boolean; invitePending: boolean }>;
  const row = users.find((u) => u.name === name)!;
  t.true(row.hasPassword);
  t.false(row.invitePending);
  const rows = await auditRows({ actor: name });
  t.true(rows.some((r) => r.action === 'user.password' && r.outcome === 'ok'));
  t.true(rows.some((r) => r.action === 'ui.login' && r.outcome === 'ok' && (r.detail as { via?: string })?.via === 'invite'));
});

test('an invite link works once', async (t) => {
  const invitePath = await createUser(uniqueName('once'));
  const first = new Browser();
  const html = await (await first.get(invitePath)).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!;
  t.is((await first.post(invitePath, { csrf, password: 'first long passphrase', confirmation: 'first long passphrase' })).status, 303);
  // The same form again (the csrf cookie is gone now: put it back to reach the invite check).
  first.jar.set(CSRF_COOKIE, csrf);
  const again = await first.post(invitePath, { csrf, password: 'second long passphrase', confirmation: 'second long passphrase' });
  t.is(again.status, 404);
  t.regex(await again.text(), /This invite link is not valid any more/);
  const other = new Browser();
  const page = await other.get(invitePath);
  t.is(page.status, 404);
  t.regex(await page.text(), /This invite link is not valid any more/);
  t.is((await other.get('/invite/not-a-real-invite-token-at-all-xxxxxxxxxxx')).status, 404);
  t.is((await other.get('/invite/short')).status, 404);
});

test('the invite form needs the double-submitted csrf token and a same-origin request', async (t) => {
  const invitePath = await createUser(uniqueName('csrf'));
  const browser = new Browser();
  const html = await (await browser.get(invitePath)).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!;
  const form = { csrf, password: 'a long enough passphrase', confirmation: 'a long enough passphrase' };
  t.is((await post(invitePath, form)).status, 403, 'the field without the cookie');
  t.is((await browser.post(invitePath, { ...form, csrf: `${csrf.slice(0, -2)}xx` })).status, 403, 'a field that is not the cookie');
  t.is((await browser.post(invitePath, { ...form, csrf: '' })).status, 403);
  t.is((await browser.post(invitePath, form, { origin: 'http://evil.example' })).status, 403, 'cross-origin');
  t.is((await browser.post(invitePath, form, { 'sec-fetch-site': 'cross-site' })).status, 403);
  // None of that used the link up; the secret link is not written into the audit log.
  const denied = await auditRows({ action: 'POST /invite/:token' });
  t.true(denied.length >= 5);
  t.false(denied.some((r) => JSON.stringify(r).includes(invitePath.split('/').pop()!)));
  t.is((await browser.post(invitePath, form)).status, 303);
});

test('weak and common passwords are refused on the invite page', async (t) => {
  const name = uniqueName('weak');
  const invitePath = await createUser(name);
  const browser = new Browser();
  for (const [password, reason] of [['password123', /most common passwords/], ['short', /at least 8 characters/], [name, /user name/]] as const) {
    const res = await acceptInvite(browser, invitePath, password);
    t.is(res.status, 400, password);
    const html = await res.text();
    t.regex(html, reason);
    t.regex(html, /Choose another password/);
    t.false(browser.jar.has(COOKIE), 'not logged in');
  }
  t.is((await browser.get(invitePath)).status, 200, 'the link still works');
  t.is((await acceptInvite(browser, invitePath, 'much better passphrase')).status, 303);
});

test('password login: success makes a new session and a device cookie; failures are 401; both audited', async (t) => {
  const { name, password } = await newUser('pw');
  const browser = new Browser();
  const wrong = await browser.post('/login', { name, password: 'not the password' });
  t.is(wrong.status, 401);
  t.false(browser.jar.has(COOKIE));
  const wrongHtml = await wrong.text();
  t.regex(wrongHtml, /Wrong user name or password/);
  t.true(wrongHtml.includes(`value="${name}"`), 'the name is kept');
  t.is((await browser.post('/login', { name: 'nobody-here', password })).status, 401, 'an unknown user looks the same');

  const ok = await browser.post('/login', { name, password });
  t.is(ok.status, 303);
  t.is(ok.headers.get('location'), '/');
  const first = browser.jar.get(COOKIE)!;
  t.truthy(first);
  const device = ok.headers.getSetCookie().find((c) => c.startsWith(`${DEVICE}=`))!;
  t.regex(device, /^scalarium_device=\d+\.[A-Za-z0-9_-]{32}; /);
  t.regex(device, /; path=\/login/i);
  t.regex(device, /; HttpOnly/i);
  t.regex(device, /; SameSite=Lax/i);
  const expires = Date.parse(/; expires=([^;]+)/i.exec(device)![1]!);
  t.true(Math.abs(expires - (Date.now() + 365 * 86_400_000)) < 120_000, `kept for a year: ${device}`);
  // koa's signed cookie: HMAC-SHA256 (43 base64url characters), not keygrip's default SHA-1 (27).
  const signature = ok.headers.getSetCookie().find((c) => c.startsWith(`${DEVICE}.sig=`))!;
  t.regex(signature, /^scalarium_device\.sig=[A-Za-z0-9_-]{43}; path=\/login; /i);
  t.regex(signature, /; HttpOnly/i);
  t.is((await browser.get('/')).status, 200);

  // Logging in again: a new session id, and the old one is gone on the server.
  t.is((await browser.post('/login', { name, password })).status, 303);
  t.not(browser.jar.get(COOKIE), first);
  t.is((await get('/', `${COOKIE}=${first}`)).status, 302);
  t.is((await browser.get('/')).status, 200);

  t.false(fs.existsSync(path.join(server.dataDir, 'ui-device.key')), 'the signing keys derive from the secret key: no key file of their own');

  const rows = await auditRows({ actor: name, action: 'ui.login' });
  t.true(rows.some((r) => r.outcome === 'denied' && r.target === name && r.source === '127.0.0.1'));
  t.true(rows.filter((r) => r.outcome === 'ok').length >= 2);
  t.true((await auditRows({ actor: 'nobody-here', action: 'ui.login' })).some((r) => r.outcome === 'denied'));
});

test('after 100 failures an account is throttled (429), except from a browser its user logged in with', async (t) => {
  const { name, password } = await newUser('throttled');
  const trusted = new Browser();
  t.is((await trusted.post('/login', { name, password })).status, 303);
  t.truthy(trusted.jar.get(DEVICE));
  const { browser: someoneElse } = await newUser('bystander');
  t.truthy(someoneElse.jar.get(DEVICE), 'a device cookie, but of another user');

  // 100 failed checks from elsewhere in the last hour (written directly: each real check costs ~0.3 s).
  const db = await openDatabase(server.dataDir);
  const at = new Date().toISOString();
  await db('login_failures').insert(Array.from({ length: 100 }, () => ({ account: name, ip: '198.51.100.7', at })));
  await db.destroy();

  const stranger = new Browser();
  const blocked = await stranger.post('/login', { name, password });
  t.is(blocked.status, 429, 'even the right password, from a new browser');
  t.regex(await blocked.text(), /Too many failed attempts/);
  t.false(stranger.jar.has(COOKIE));
  t.is((await someoneElse.post('/login', { name, password })).status, 429, "another user's device cookie does not count");
  const forged = new Browser();
  forged.jar.set(DEVICE, trusted.jar.get(DEVICE)!);
  forged.jar.set(`${DEVICE}.sig`, crypto.randomBytes(32).toString('base64url'));
  t.is((await forged.post('/login', { name, password })).status, 429, 'a forged signature does not count');
  const unsigned = new Browser();
  unsigned.jar.set(DEVICE, trusted.jar.get(DEVICE)!);
  t.is((await unsigned.post('/login', { name, password })).status, 429, 'nor does a device cookie without its signature');
  const borrowed = new Browser();
  const [, random] = trusted.jar.get(DEVICE)!.split('.');
  const bystanderId = someoneElse.jar.get(DEVICE)!.split('.')[0];
  borrowed.jar.set(DEVICE, `${bystanderId}.${random}`);
  borrowed.jar.set(`${DEVICE}.sig`, someoneElse.jar.get(`${DEVICE}.sig`)!);
  t.is((await borrowed.post('/login', { name, password })).status, 429, 'an edited cookie fails its signature');

  const res = await trusted.post('/login', { name, password });
  t.is(res.status, 303, 'the device cookie gets the real user in');
  t.is((await trusted.get('/')).status, 200);
  const rows = await auditRows({ actor: name, action: 'ui.login', outcome: 'denied' });
  t.true(rows.some((r) => (r.detail as { reason?: string })?.reason === 'throttled (account)'));
});

test("a disabled user's session stops working and they cannot log in until enabled", async (t) => {
  const { name, password, browser } = await newUser('disabled');
  t.is((await browser.get('/')).status, 200);
  const admin = await adminBrowser();
  const csrf = await admin.csrf('/users');
  const res = await admin.post(`/users/${name}/disable`, { csrf });
  t.is(res.status, 303);
  t.regex(decodeURIComponent(res.headers.get('location')!), /^\/users\?notice=Disabled /);
  const after = await browser.get('/');
  t.is(after.status, 302);
  t.is(after.headers.get('location'), '/login');
  t.is((await browser.get('/account')).status, 302);
  t.is((await browser.post('/login', { name, password })).status, 401, 'the right password, but disabled');
  const listed = await (await admin.get('/users')).text();
  t.regex(listed, new RegExp(`${name}</td>[\\s\\S]*?disabled`));

  t.is((await admin.post(`/users/${name}/enable`, { csrf })).status, 303);
  t.is((await browser.post('/login', { name, password })).status, 303);
  t.is((await browser.get('/')).status, 200);
});

test('non-admins get 403 on /users and /audit and see only the apps granted to them', async (t) => {
  const granted = await createApp();
  const hidden = await createApp();
  const { name, browser } = await newUser('viewer');
  t.is((await server.api('POST', '/api/access', { user: name, app: granted, role: 'viewer' })).status, 201);
  const home = await browser.get('/');
  const html = await home.text();
  t.true(html.includes(`<a href="/apps/${granted}">${granted}</a>`));
  t.false(html.includes(hidden));
  t.false(html.includes('href="/users"'));
  t.false(html.includes('href="/audit"'));
  for (const path of ['/users', '/audit', '/audit.json']) {
    const res = await browser.get(path);
    t.is(res.status, 403, path);
  }
  const csrf = await browser.csrf('/');
  const made = uniqueName('sneaky');
  t.is((await browser.post('/users', { csrf, name: made })).status, 403);
  t.is((await browser.post('/users/admin/disable', { csrf })).status, 403);
  t.false(((await server.api('GET', '/api/users')).body as Array<{ name: string }>).some((u) => u.name === made));
  const other = await browser.get(`/apps/${hidden}`);
  t.is(other.status, 404, 'an app without a grant does not exist for them');
  t.is((await browser.post(`/apps/${hidden}/config`, { csrf, key: 'A', value: 'b' })).status, 404);
  t.is((await browser.get(`/apps/${granted}`)).status, 200);
  const denied = await auditRows({ actor: name, outcome: 'denied' });
  t.true(denied.some((r) => r.action === 'GET /users'));
  t.true(denied.some((r) => r.action === 'POST /users'));
});

test('a viewer sees no config values and no action forms, and the handlers refuse them; a deployer may roll back', async (t) => {
  const app = await createApp();
  await server.api('PATCH', `/api/apps/${app}/config`, { SECRET_VALUE: 'do-not-show-me' });
  const repo = await createAppRepo('procfile-only');
  t.teardown(() => repo.cleanup());
  t.is((await repo.push(authedGitUrl(server.url, app, server.token))).code, 0);
  await repo.commit('v3');
  t.is((await repo.push(authedGitUrl(server.url, app, server.token))).code, 0);

  const viewer = await newUser('ro');
  t.is((await server.api('POST', '/api/access', { user: viewer.name, app, role: 'viewer' })).status, 201);
  const html = await (await viewer.browser.get(`/apps/${app}`)).text();
  t.regex(html, /Releases/);
  t.regex(html, /<span class="badge">current<\/span>/);
  t.false(html.includes('do-not-show-me'));
  t.false(html.includes('SECRET_VALUE'));
  t.false(html.includes('Config vars'));
  for (const action of ['rollback', 'restart', 'scale', 'config', 'deploy']) t.false(html.includes(`/apps/${app}/${action}"`), action);
  t.false(html.includes('name="version"'));
  const csrf = await viewer.browser.csrf('/');
  t.is((await viewer.browser.post(`/apps/${app}/rollback`, { csrf, version: '1' })).status, 403);
  t.is((await viewer.browser.post(`/apps/${app}/config`, { csrf, key: 'SECRET_VALUE', value: 'x' })).status, 403);
  t.is((await viewer.browser.post(`/apps/${app}/restart`, { csrf })).status, 403);
  t.is((await viewer.browser.post(`/apps/${app}/deploy`, { csrf, release: '1' })).status, 403);
  t.is((await viewer.browser.post(`/apps/${app}/scale`, { csrf, type: 'web', count: '0' })).status, 403);
  t.is((await server.api('GET', `/api/apps/${app}/config`)).body.SECRET_VALUE, 'do-not-show-me');
  t.is((await server.api('GET', `/api/apps/${app}/releases`)).body[0].description.startsWith('Rollback'), false);

  const deployer = await newUser('dep');
  t.is((await server.api('POST', '/api/access', { user: deployer.name, app, role: 'deployer' })).status, 201);
  const depHtml = await (await deployer.browser.get(`/apps/${app}`)).text();
  t.true(depHtml.includes(`/apps/${app}/rollback"`));
  t.true(depHtml.includes(`/apps/${app}/restart"`));
  t.true(depHtml.includes(`/apps/${app}/deploy"`));
  t.false(depHtml.includes(`/apps/${app}/scale"`), 'scaling needs a manager');
  t.false(depHtml.includes('do-not-show-me'), 'config needs a manager');
  const depCsrf = await deployer.browser.csrf('/');
  const rolled = await deployer.browser.post(`/apps/${app}/rollback`, { csrf: depCsrf, version: '1' });
  t.is(rolled.status, 303);
  t.is((await server.api('GET', `/api/apps/${app}/releases`)).body[0].description, 'Rollback to v1');
});

test('admins manage users: the invite link is shown once, escaped; new links, disable, enable, delete; errors re-render', async (t) => {
  const admin = await adminBrowser();
  const page = await admin.get('/users');
  t.is(page.status, 200);
  const html = await page.text();
  t.true(html.includes('href="/users"') && html.includes('href="/audit"'), 'the admin menu');
  t.regex(html, /<td>admin <span class="muted">\(you\)<\/span><\/td>/);
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!;

  const name = uniqueName('boss');
  const created = await admin.post('/users', { csrf, name, email: `${name}@example.org`, admin: 'on' });
  t.is(created.status, 201);
  const createdHtml = await created.text();
  const link = /<code class="invite-url">([^<]+)<\/code>/.exec(createdHtml)?.[1];
  t.truthy(link);
  t.regex(link!, /^http:\/\/127\.0\.0\.1:\d+\/invite\/[A-Za-z0-9_-]{43}$/);
  t.regex(createdHtml, /shown only now/);
  const firstInvite = new URL(link!).pathname;
  t.is((await get(firstInvite)).status, 200);
  let users = (await server.api('GET', '/api/users')).body as Array<{ name: string; admin: boolean; email: string; invitePending: boolean }>;
  t.like(users.find((u) => u.name === name), { admin: true, email: `${name}@example.org`, invitePending: true });
  const listed = await (await admin.get('/users')).text();
  t.false(listed.includes(firstInvite), 'the link is not shown again');
  t.regex(listed, new RegExp(`${name}</td>[\\s\\S]*?invite pending`));

  const dup = await admin.post('/users', { csrf, name, email: 'x@example.org' });
  t.is(dup.status, 409);
  const dupHtml = await dup.text();
  t.regex(dupHtml, /already exists/);
  t.true(dupHtml.includes(`value="${name}"`), 'the form keeps what was typed');
  const badName = await admin.post('/users', { csrf, name: 'Not Valid<b>' });
  t.is(badName.status, 400);
  const badHtml = await badName.text();
  t.regex(badHtml, /is not a valid user name/);
  t.false(badHtml.includes('<b>'));
  t.is((await admin.post('/users', { csrf, name: uniqueName('mail'), email: 'no-at-sign' })).status, 400);

  const again = await admin.post(`/users/${name}/invite`, { csrf });
  t.is(again.status, 200);
  const secondLink = /<code class="invite-url">([^<]+)<\/code>/.exec(await again.text())?.[1];
  t.truthy(secondLink);
  t.is((await get(firstInvite)).status, 404, 'a new link voids the old one');
  t.is((await get(new URL(secondLink!).pathname)).status, 200);
  t.is((await admin.post('/users/no-such-user/invite', { csrf })).status, 404);
  t.is((await admin.post('/users/no-such-user/disable', { csrf })).status, 404);
  t.is((await admin.post(`/users/${name}/disable`, { missing: 'csrf' })).status, 403);

  const deleted = await admin.post(`/users/${name}/delete`, { csrf });
  t.is(deleted.status, 303);
  t.is(deleted.headers.get('location'), `/users?notice=${encodeURIComponent(`Deleted ${name}`)}`);
  users = (await server.api('GET', '/api/users')).body;
  t.false(users.some((u) => u.name === name));
  // The only enabled admin cannot be disabled or deleted.
  const last = await admin.post('/users/admin/disable', { csrf });
  t.is(last.status, 409);
  t.regex(await last.text(), /no enabled admin/);
  t.is((await admin.get('/users')).status, 200, 'still logged in');
  const rows = await auditRows({ actor: 'admin' });
  for (const action of ['user.create', 'user.invite', 'user.delete']) t.true(rows.some((r) => r.action === action && r.target === name), action);
});

test('the audit page filters like the API, renders everything escaped and exports JSON', async (t) => {
  const admin = await adminBrowser();
  // A failed login for a made-up account name puts free text into actor and target.
  const probe = `probe<b>${process.pid}</b>`;
  t.is((await post('/login', { name: probe, password: 'whatever it is' })).status, 401);
  const res = await admin.get(`/audit?actor=${encodeURIComponent(probe)}&outcome=denied`);
  t.is(res.status, 200);
  const html = await res.text();
  t.false(html.includes('<b>'));
  t.true(html.includes(`<td>probe&lt;b&gt;${process.pid}&lt;/b&gt;</td>`));
  t.true(html.includes(`value="probe&lt;b&gt;${process.pid}&lt;/b&gt;"`), 'the filter form keeps its values');
  t.regex(html, /<option value="denied" selected>/);
  const rowsInPage = html.match(/<tr>\s*<td class="nowrap">/g) ?? [];
  t.is(rowsInPage.length, 1, 'only the matching row');
  const exportHref = /<a class="export" href="([^"]+)"/.exec(html)?.[1]?.replace(/&amp;/g, '&').replace(/&#x3D;/g, '=');
  t.is(exportHref, `/audit.json?actor=${encodeURIComponent(probe)}&outcome=denied`);

  const exported = await admin.get(exportHref!);
  t.is(exported.status, 200);
  t.regex(exported.headers.get('content-type') ?? '', /^application\/json/);
  t.regex(exported.headers.get('content-disposition') ?? '', /^attachment; filename="scalarium-audit-[0-9TZ-]+\.json"$/);
  const entries = (await exported.json()) as Array<{ actor: string; action: string; outcome: string; target: string; source: string; at: string; id: number }>;
  t.is(entries.length, 1);
  t.like(entries[0], { actor: probe, action: 'ui.login', outcome: 'denied', target: probe, source: '127.0.0.1' });

  const byAction = (await (await admin.get('/audit.json?action=ui.log&limit=50')).json()) as Array<{ action: string }>;
  t.true(byAction.length > 0);
  t.true(byAction.every((e) => e.action === 'ui.login'));
  const recent = (await (await admin.get('/audit.json?since=1h&outcome=ok')).json()) as Array<{ outcome: string }>;
  t.true(recent.length > 0 && recent.every((e) => e.outcome === 'ok'));

  // The detail column is compact JSON text.
  const created = await (await admin.get('/audit?action=user.create&actor=scalarium')).text();
  t.true(created.includes('<code class="detail">{&quot;firstStart&quot;:true}</code>'));
  const bad = await admin.get('/audit?outcome=bogus');
  t.is(bad.status, 400);
  t.regex(await bad.text(), /outcome is ok, denied or failed/);
  t.is((await admin.get('/audit?since=yesterday-ish')).status, 400);
  t.is((await get('/audit.json')).status, 302, 'no session, no export');
});

test('account page: a new token is shown once, then only its hint; it can be revoked', async (t) => {
  const app = await createApp();
  const hidden = await createApp();
  const { name, browser } = await newUser('tokens');
  t.is((await server.api('POST', '/api/access', { user: name, app, role: 'deployer' })).status, 201);
  const page = await browser.get('/account');
  t.is(page.status, 200);
  const html = await page.text();
  t.regex(html, /No API tokens/);
  t.true(html.includes(`<option value="${app}">only ${app}</option>`));
  t.false(html.includes(hidden), 'only apps the user can see');
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!;

  const created = await browser.post('/account/tokens', { csrf, name: 'ci', app, role: 'deployer', expires: '30d' });
  t.is(created.status, 201);
  const createdHtml = await created.text();
  const token = /<code class="token">(scl_[0-9A-Za-z]{30}_[0-9A-Za-z]{6})<\/code>/.exec(createdHtml)?.[1];
  t.truthy(token);
  t.regex(createdHtml, /only time it is shown/);
  const whoami = await server.api('GET', '/api/whoami', undefined, token);
  t.is(whoami.status, 200);
  t.is(whoami.body.user.name, name);
  // A token limited to an app and a role does not open a UI session.
  const limited = await post('/login', { token: token! });
  t.is(limited.status, 401);
  t.is(sessionCookie(limited), undefined);

  const later = await (await browser.get('/account')).text();
  t.false(later.includes(token!), 'never shown again');
  t.true(later.includes(`<code>${token!.slice(0, 8)}…</code>`), 'only the hint');
  t.regex(later, new RegExp(`<td>ci</td>[\\s\\S]*?app ${app}[\\s\\S]*?deployer`));

  const dup = await browser.post('/account/tokens', { csrf, name: 'ci' });
  t.is(dup.status, 409);
  t.true((await dup.text()).includes('value="ci"'));
  t.is((await browser.post('/account/tokens', { csrf, name: 'peek', app: hidden })).status, 404, 'no token for an app you cannot see');
  t.is((await browser.post('/account/tokens', { csrf, name: 'later', expires: 'someday' })).status, 400);
  t.is((await browser.post('/account/tokens', { csrf, name: 'Bad Name' })).status, 400);
  t.is((await browser.post('/account/tokens', { name: 'nocsrf' })).status, 403);

  const revoked = await browser.post('/account/tokens/ci/revoke', { csrf });
  t.is(revoked.status, 303);
  t.is(revoked.headers.get('location'), `/account?notice=${encodeURIComponent('Revoked token ci')}`);
  t.is((await server.api('GET', '/api/whoami', undefined, token)).status, 401);
  t.regex(await (await browser.get('/account')).text(), /No API tokens/);
  t.is((await browser.post('/account/tokens/ci/revoke', { csrf })).status, 404);
  const rows = await auditRows({ actor: name });
  t.true(rows.some((r) => r.action === 'token.create' && r.target === 'ci'));
  t.true(rows.some((r) => r.action === 'token.revoke' && r.target === 'ci'));
});

/** A fresh OpenSSH ed25519 public key line: string "ssh-ed25519", string <32-byte key>, base64. */
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

test('account page: SSH keys are added and removed; private keys are refused and not echoed', async (t) => {
  const { browser } = await newUser('keys');
  const csrf = await browser.csrf('/account');
  t.regex(await (await browser.get('/account')).text(), /No SSH keys/);
  const key = sshPublicKey('me@laptop <i>x</i>');
  const added = await browser.post('/account/keys', { csrf, publicKey: key });
  t.is(added.status, 303);
  const fingerprint = /SHA256:[A-Za-z0-9+/]+/.exec(decodeURIComponent(added.headers.get('location')!))?.[0];
  t.truthy(fingerprint);
  const html = await (await browser.get('/account')).text();
  t.true(html.includes(`<code>${fingerprint}</code>`));
  t.true(html.includes('me@laptop &lt;i&gt;x&lt;/i&gt;'));
  t.false(html.includes('<i>x</i>'));
  t.is((await browser.post('/account/keys', { csrf, publicKey: key })).status, 409);
  const secret = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----';
  const refused = await browser.post('/account/keys', { csrf, publicKey: secret });
  t.is(refused.status, 400);
  const refusedHtml = await refused.text();
  t.regex(refusedHtml, /private key/);
  t.false(refusedHtml.includes('b3BlbnNzaC1rZXktdjEAAAAA'), 'the private key is not put back into the form');
  const garbage = await browser.post('/account/keys', { csrf, publicKey: 'ssh-ed25519 not-base64!' });
  t.is(garbage.status, 400);
  t.true((await garbage.text()).includes('ssh-ed25519 not-base64!'), 'a bad public key is kept for fixing');

  const removed = await browser.post('/account/keys/remove', { csrf, fingerprint: fingerprint! });
  t.is(removed.status, 303);
  t.regex(await (await browser.get('/account')).text(), /No SSH keys/);
  t.is((await browser.post('/account/keys/remove', { csrf, fingerprint: fingerprint! })).status, 404);
});

test('there is no state change on GET for the new pages either', async (t) => {
  const admin = await adminBrowser();
  for (const path of ['/users/admin/disable', '/users/admin/delete', '/users/admin/invite', '/account/tokens', '/account/tokens/initial/revoke', '/account/keys', '/account/keys/remove', '/clusters/local/scale', '/clusters/local/destroy']) {
    const res = await admin.get(`${path}?name=x&csrf=x`);
    t.true(res.status === 404 || res.status === 405, `${path}: ${res.status}`);
  }
  const users = (await server.api('GET', '/api/users')).body as Array<{ name: string; disabled: boolean }>;
  t.false(users.find((u) => u.name === 'admin')!.disabled);
  t.is((await server.api('GET', '/api/whoami')).status, 200);
  t.is((await server.api('GET', '/api/clusters/local')).status, 200);
});

// ---------------------------------------------------------------------------------------------------
// Clusters and one-click deploys.

interface ClusterJson {
  name: string; provider: string; roles: Array<{ name: string; count: number }>;
  instances: Array<{ id: string; role: string; state: string }>; apps: string[];
}

async function apiCluster(name: string): Promise<ClusterJson> {
  return (await server.api('GET', `/api/clusters/${name}`)).body;
}

const roleCounts = (cluster: ClusterJson) => Object.fromEntries(cluster.roles.map((r) => [r.name, r.count]));
/** Instances of a role that are neither stopped nor failed (the local cluster's default roles have no stored count). */
const live = (cluster: ClusterJson, role: string) => cluster.instances.filter((i) => i.role === role && i.state !== 'stopped' && i.state !== 'failed').length;

// Serial, so that it runs before the concurrent tests: no app is being deployed while instances come and go.
test.serial('the clusters list and the local cluster page; scaling a role needs the csrf token and works', async (t) => {
  const admin = await adminBrowser();
  const list = await admin.get('/clusters');
  t.is(list.status, 200);
  const listHtml = await list.text();
  t.true(listHtml.includes('<a href="/clusters">Clusters</a>'), 'the nav entry');
  t.true(listHtml.includes('<a href="/clusters/local">local</a>'));
  t.regex(listHtml, /<td>local<\/td>/, 'the provider');
  t.regex(listHtml, /app <span class="muted">1\/1 online<\/span>/);
  t.regex(listHtml, /router <span class="muted">\d\/1 online<\/span>/);
  t.regex(listHtml, /<span class="state state-online">\d+ online<\/span>/);
  t.regex(listHtml, /<h2>New cluster<\/h2>/);
  t.regex(listHtml, /<option value="local" selected>local<\/option>/);
  t.regex(listHtml, /AWS credential chain/);
  t.false(listHtml.includes('secretAccessKey"'), 'no credential fields');

  const page = await admin.get('/clusters/local');
  t.is(page.status, 200);
  const html = await page.text();
  t.true(html.includes('<td><code>local-app-1</code></td>'));
  t.true(html.includes('<td><code>local-router-1</code></td>'));
  t.regex(html, /<td><span class="state state-online">online<\/span><\/td>/);
  t.regex(html, /<td><code>127\.0\.0\.1<\/code><\/td>/, 'the address');
  t.regex(html, /<td>yes<\/td>/, 'connected');
  t.notRegex(html, /Credentials/, 'a local cluster has none');
  t.regex(html, /<h2>Lifecycle events<\/h2>/);
  t.regex(html, /<td>setup<\/td>\s*<td class="nowrap"><code>local-app-1<\/code><\/td>/, 'the setup of the first app instance');
  t.false(html.includes('/clusters/local/destroy'), 'the local cluster cannot be destroyed');
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!;
  t.true(html.includes('action="/clusters/local/scale"'));

  // No csrf token, a wrong one, a bad count, a bad role name: nothing changes.
  t.is((await admin.post('/clusters/local/scale', { role: 'app', count: '2' })).status, 403);
  t.is((await admin.post('/clusters/local/scale', { csrf: `${csrf.slice(0, -2)}xx`, role: 'app', count: '2' })).status, 403);
  const badCount = await admin.post('/clusters/local/scale', { csrf, role: 'app', count: 'lots' });
  t.is(badCount.status, 400);
  t.regex(await badCount.text(), /whole number of instances/);
  const badRole = await admin.post('/clusters/local/scale', { csrf, role: 'Not<b>Valid</b>', count: '1' });
  t.is(badRole.status, 400);
  const badRoleHtml = await badRole.text();
  t.regex(badRoleHtml, /is not a valid role name/);
  t.false(badRoleHtml.includes('<b>Valid'));
  t.is(live(await apiCluster('local'), 'app'), 1);

  // Out to two app instances (the answer comes once the new one is online) and back to one.
  const out = await admin.post('/clusters/local/scale', { csrf, role: 'app', count: '2' });
  t.is(out.status, 303);
  t.is(out.headers.get('location'), `/clusters/local?notice=${encodeURIComponent('Scaled app to 2')}`);
  let cluster = await apiCluster('local');
  t.like(roleCounts(cluster), { app: 2 });
  t.is(cluster.instances.find((i) => i.id === 'local-app-2')?.state, 'online', JSON.stringify(cluster.instances));
  const scaledHtml = await (await admin.get(out.headers.get('location')!)).text();
  t.regex(scaledHtml, /Scaled app to 2/);
  t.regex(scaledHtml, /<td>setup<\/td>\s*<td class="nowrap"><code>local-app-2<\/code><\/td>/);
  t.regex(scaledHtml, /<td>configure<\/td>\s*<td class="nowrap"><code>local-app-1<\/code><\/td>/, 'membership changed: configure ran');

  const back = await admin.post('/clusters/local/scale', { csrf, role: 'app', count: '1' });
  t.is(back.status, 303);
  cluster = await apiCluster('local');
  t.like(roleCounts(cluster), { app: 1 });
  t.is(cluster.instances.find((i) => i.id === 'local-app-2')?.state, 'stopped');
  t.is(cluster.instances.find((i) => i.id === 'local-app-1')?.state, 'online');
  const backHtml = await (await admin.get('/clusters/local')).text();
  t.regex(backHtml, /<td>shutdown<\/td>\s*<td class="nowrap"><code>local-app-2<\/code><\/td>/);
  t.regex(backHtml, /<td><span class="state state-stopped">stopped<\/span><\/td>/);
  t.true((await auditRows({ actor: 'admin', action: 'cluster.scale' })).length >= 2);

  const missing = await admin.get('/clusters/no-such-cluster');
  t.is(missing.status, 404);
  t.regex(await missing.text(), /No cluster named/);
});

test('admins create a cluster from the form and destroy it by typing its name', async (t) => {
  const admin = await adminBrowser();
  const csrf = await admin.csrf('/clusters');
  const name = uniqueName('cl');
  // An ec2 cluster needs a region and an image; the form keeps what was typed.
  const noRegion = await admin.post('/clusters', { csrf, name, provider: 'ec2', region: '', image: '', instanceType: 't3.small', app: '1', router: '1' });
  t.is(noRegion.status, 400);
  const noRegionHtml = await noRegion.text();
  // (Without the ec2 provider plugin loaded, the provider itself is refused.)
  t.regex(noRegionHtml, /needs a region and an image|no provider &quot;ec2&quot; is loaded/);
  t.true(noRegionHtml.includes(`value="${name}"`));
  t.true(noRegionHtml.includes('value="t3.small"'));
  const badEndpoint = await admin.post('/clusters', { csrf, name, provider: 'local', endpoint: 'ftp://x.example', app: '0', router: '0' });
  t.is(badEndpoint.status, 400);
  t.regex(await badEndpoint.text(), /endpoint must be an http\(s\) URL/);
  const badProvider = await admin.post('/clusters', { csrf, name, provider: '<i>nope</i>', app: '0', router: '0' });
  t.is(badProvider.status, 400);
  t.false((await badProvider.text()).includes('<i>nope'));
  t.is((await admin.post('/clusters', { name, provider: 'local', app: '0', router: '0' })).status, 403, 'no csrf token');
  t.is((await server.api('GET', `/api/clusters/${name}`)).status, 404);

  // No instances: nothing is launched.
  const created = await admin.post('/clusters', { csrf, name, provider: 'local', endpoint: 'https://ec2.example:8773', instanceType: 't3.small', app: '0', router: '0' });
  t.is(created.status, 303);
  t.regex(decodeURIComponent(created.headers.get('location')!), new RegExp(`^/clusters/${name}\\?notice=Created cluster ${name}`));
  t.deepEqual(roleCounts(await apiCluster(name)), { app: 0, router: 0 });
  const page = await (await admin.get(`/clusters/${name}`)).text();
  t.regex(page, /<dt>Endpoint<\/dt><dd><code>https:\/\/ec2\.example:8773<\/code><\/dd>/);
  t.regex(page, /<dt>Instance type<\/dt><dd><code>t3\.small<\/code><\/dd>/);
  t.regex(page, /No instances\./);
  t.regex(page, /No lifecycle events have run yet/);
  t.true(page.includes(`action="/clusters/${name}/destroy"`));
  t.true((await (await admin.get('/clusters')).text()).includes(`<a href="/clusters/${name}">${name}</a>`));
  t.is((await admin.post('/clusters', { csrf, name, provider: 'local', app: '0', router: '0' })).status, 400, 'the name is taken');

  const wrong = await admin.post(`/clusters/${name}/destroy`, { csrf, confirm: 'local' });
  t.is(wrong.status, 400);
  t.regex(await wrong.text(), /to confirm/);
  t.is((await admin.post(`/clusters/${name}/destroy`, { confirm: name })).status, 403, 'no csrf token');
  t.is((await server.api('GET', `/api/clusters/${name}`)).status, 200);
  t.is((await admin.post('/clusters/local/destroy', { csrf, confirm: 'local' })).status, 400, 'never the local cluster');
  const destroyed = await admin.post(`/clusters/${name}/destroy`, { csrf, confirm: name });
  t.is(destroyed.status, 303);
  t.is(destroyed.headers.get('location'), `/clusters?notice=${encodeURIComponent(`Destroyed cluster ${name}`)}`);
  t.is((await server.api('GET', `/api/clusters/${name}`)).status, 404);
  const rows = await auditRows({ actor: 'admin' });
  t.true(rows.some((r) => r.action === 'cluster.create' && r.target === name));
  t.true(rows.some((r) => r.action === 'cluster.destroy' && r.target === name));
});

test('a user without grants sees no clusters; a cluster viewer sees it but may not scale or destroy it', async (t) => {
  const { name, browser } = await newUser('nocluster');
  const list = await browser.get('/clusters');
  t.is(list.status, 200);
  const html = await list.text();
  t.true(html.includes('<a href="/clusters">Clusters</a>'));
  t.false(html.includes('href="/clusters/local"'));
  t.regex(html, /No clusters you may see/);
  t.false(html.includes('New cluster'), 'only admins create clusters');
  const page = await browser.get('/clusters/local');
  t.is(page.status, 404);
  t.regex(await page.text(), /No cluster named/);
  const csrf = await browser.csrf('/clusters');
  t.is((await browser.post('/clusters/local/scale', { csrf, role: 'app', count: '3' })).status, 404);
  t.is((await browser.post('/clusters/local/destroy', { csrf, confirm: 'local' })).status, 404);
  t.is((await browser.post('/clusters', { csrf, name: uniqueName('mine'), provider: 'local', app: '0', router: '0' })).status, 403);

  t.is((await server.api('POST', '/api/access', { user: name, cluster: 'local', role: 'viewer' })).status, 201);
  const granted = await (await browser.get('/clusters')).text();
  t.true(granted.includes('<a href="/clusters/local">local</a>'));
  const viewerPage = await browser.get('/clusters/local');
  t.is(viewerPage.status, 200);
  const viewerHtml = await viewerPage.text();
  t.regex(viewerHtml, /local-app-1/);
  t.false(viewerHtml.includes('/clusters/local/scale'), 'no scale form for a viewer');
  t.is((await browser.post('/clusters/local/scale', { csrf, role: 'app', count: '3' })).status, 403);
  t.is((await browser.post('/clusters/local/destroy', { csrf, confirm: 'local' })).status, 403);
  t.is(live(await apiCluster('local'), 'app'), 1);
  const denied = await auditRows({ actor: name, outcome: 'denied' });
  t.true(denied.some((r) => r.action === 'POST /clusters/local/scale'));
});

/** The hooked fixture with a deploy hook that prints markup, to see it rendered as text. */
const HOSTILE_HOOK = `#!/bin/sh
cat >/dev/null
echo '<script>alert("hook")</script><img src=x onerror=alert(1)> & done'
`;

test('the deploy buttons: latest commit, a commit, a release; the app shows its cluster; hook output is escaped', async (t) => {
  const app = await createApp();
  const repo = await createAppRepo('hooked');
  t.teardown(() => repo.cleanup());
  repo.write('.scalarium/hooks/deploy', HOSTILE_HOOK);
  const commit = await repo.commit('a deploy hook that prints markup');
  const push = await repo.push(authedGitUrl(server.url, app, server.token));
  t.is(push.code, 0, push.output);

  const admin = await adminBrowser();
  const home = await (await admin.get('/')).text();
  t.regex(home, new RegExp(`<a href="/apps/${app}">${app}</a></td>\\s*<td><a href="/clusters/local">local</a></td>`), 'the app list shows the cluster');
  const html = await (await admin.get(`/apps/${app}`)).text();
  t.true(html.includes('<dt>Cluster</dt><dd><a href="/clusters/local">local</a></dd>'));
  t.regex(html, /<h2>Deploy<\/h2>/);
  t.true(html.includes('<input type="hidden" name="commit" value="main">'));
  t.regex(html, /<option value="1">v1 — [^<]*\(current\)<\/option>/);
  t.true(html.includes('name="archive"'));
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!;

  t.is((await admin.post(`/apps/${app}/deploy`, { commit: 'main' })).status, 403, 'no csrf token');
  // A deploy runs on in the server: the button leads to its live page, which streams the build's
  // output and ends with the outcome.
  const followDeploy = async (res: Response): Promise<string> => {
    t.is(res.status, 303);
    const location = res.headers.get('location')!;
    t.regex(location, new RegExp(`^/apps/${app}/deploys/[\\w-]+$`));
    const page = await admin.get(location);
    t.is(page.status, 200);
    return page.text();
  };
  const latestPage = await followDeploy(await admin.post(`/apps/${app}/deploy`, { csrf, commit: 'main' }));
  t.regex(latestPage, /<p class="flash notice" role="status">Deployed v2: /);
  t.regex(latestPage, /Building/, 'the build output is on the page');
  let releases = (await server.api('GET', `/api/apps/${app}/releases`)).body as Array<{ version: number; commit: string }>;
  t.is(releases[0]!.version, 2);
  t.is(releases[0]!.commit, commit);

  const badRef = await admin.post(`/apps/${app}/deploy`, { csrf, commit: 'HEAD~1; rm' });
  t.is(badRef.status, 400);
  const badRefHtml = await badRef.text();
  t.regex(badRefHtml, /commit must be a commit id/);
  t.true(badRefHtml.includes('value="HEAD~1; rm"'), 'the form keeps what was typed');
  const unknown = await admin.post(`/apps/${app}/deploy`, { csrf, commit: 'deadbeefcafe' });
  t.is(unknown.status, 400);
  t.regex(await unknown.text(), /has no commit deadbeefcafe/);

  const againPage = await followDeploy(await admin.post(`/apps/${app}/deploy`, { csrf, release: '1' }));
  t.regex(againPage, /Deployed v3: [^<]*v1/);
  releases = (await server.api('GET', `/api/apps/${app}/releases`)).body;
  t.is(releases[0]!.version, 3);
  t.is((await admin.post(`/apps/${app}/deploy`, { csrf, release: '99' })).status, 404);

  // The app's deploy hook ran on each deploy; its output is text on the cluster page.
  const clusterHtml = await (await admin.get('/clusters/local')).text();
  t.true(clusterHtml.includes(`<a href="/apps/${app}">${app}</a>`), 'the app is listed on its cluster');
  t.true(clusterHtml.includes(`<pre class="log">[${app}] &lt;script&gt;alert(&quot;hook&quot;)&lt;/script&gt;&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt; &amp; done`));
  t.false(clusterHtml.includes('<script>alert("hook")'));
  t.false(clusterHtml.includes('<img src=x'));
  t.regex(clusterHtml, new RegExp(`<td>deploy</td>\\s*<td class="nowrap"><code>local-app-1</code></td>\\s*<td>${app}</td>\\s*<td><span class="state state-succeeded">succeeded</span>`));
});

test('deploys from a bad archive URL, or before any push, re-render the app page with the error', async (t) => {
  const app = await createApp();
  const admin = await adminBrowser();
  const csrf = await admin.csrf(`/apps/${app}`);
  const unreachable = await admin.post(`/apps/${app}/deploy`, { csrf, archive: 'http://127.0.0.1:1/app.tar.gz' });
  t.is(unreachable.status, 422);
  const html = await unreachable.text();
  t.regex(html, /refused to fetch http:\/\/127\.0\.0\.1:1\/app\.tar\.gz: 127\.0\.0\.1 is a loopback address/);
  t.true(html.includes('value="http://127.0.0.1:1/app.tar.gz"'), 'the URL is kept');
  t.regex(html, /<h1>ui-app-/, 'the app page');
  // The server never fetches from itself (its internal endpoints answer on the same port).
  const ownUrl = await admin.post(`/apps/${app}/deploy`, { csrf, archive: `${server.url}/internal/agent.mjs` });
  t.is(ownUrl.status, 422);
  t.regex(await ownUrl.text(), /refused to fetch/);
  const notHttp = await admin.post(`/apps/${app}/deploy`, { csrf, archive: 'file:///etc/passwd' });
  t.is(notHttp.status, 400);
  t.regex(await notHttp.text(), /archive must be an http\(s\) URL/);
  const hostileUrl = await admin.post(`/apps/${app}/deploy`, { csrf, archive: 'http://127.0.0.1:1/"><script>alert(1)</script>' });
  t.true(hostileUrl.status >= 400);
  t.false((await hostileUrl.text()).includes('<script>alert(1)'));
  const noPush = await admin.post(`/apps/${app}/deploy`, { csrf, commit: 'main' });
  t.is(noPush.status, 400);
  t.regex(await noPush.text(), /push first/);
  t.deepEqual((await server.api('GET', `/api/apps/${app}/releases`)).body, []);
});
