// The admin UI over real HTTP against a real server: login and sessions, CSRF, escaping, security
// headers, and that state changes happen only through POSTed forms.
import test from 'ava';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { authedGitUrl, createAppRepo } from './helpers/app-repo.ts';
import { openDatabase } from '../server/db/knex.ts';
import { listAudit } from '../server/db/audit.ts';

let server: TestServer;

test.before(async () => {
  server = await startTestServer();
});

test.after.always(async () => {
  await server?.cleanup();
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
  t.regex(cookie!, /; HttpOnly/);
  t.regex(cookie!, /; SameSite=Lax/);
  t.regex(cookie!, /; Path=\//);
  t.notRegex(cookie!, /Secure/, 'plain http gets no Secure flag');
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
  for (const path of ['rollback', 'restart', 'scale', 'config', 'config/unset']) {
    const res = await get(`/apps/${app}/${path}?csrf=x&key=A&value=b&version=1`, cookie);
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
  t.regex(sessionCookie(res) ?? '', /Max-Age=0/);
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
