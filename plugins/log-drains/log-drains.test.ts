// Drains through the API, the CLI and the UI on the real server in-process: what is refused (a clear
// 4xx, nothing stored), what is shown (URLs redacted everywhere: answers, audit rows, the CLI, the
// page), what is stored (the URL sealed), and that a drain goes with its app.
import test from 'ava';
import { createTestScalarium, type TestScalarium } from '../../test/helpers/harness.ts';
import { uiLogin } from '../../test/helpers/ui-client.ts';
import { cli, loggedIn } from '../../cli/test-support.ts';
import { createToken, findUserByName } from '../../server/plugin-api.ts';
import { syslogReceiver } from './test-receivers.ts';

const SECRET_URL = 'https://drain-user:s3cret-pass@127.0.0.2:6443/drain/path?token=t0ken-value&x=1';
const SHOWN_URL = 'https://***:***@127.0.0.2:6443/…?token=***&x=***';

async function server(t: import('ava').ExecutionContext): Promise<TestScalarium> {
  const s = await createTestScalarium({ env: { SCALARIUM_OUTBOUND_ALLOW: '127.0.0.2/32' } });
  t.teardown(() => s.close());
  t.is((await s.api('POST', '/api/apps', { name: 'shop' })).status, 201);
  return s;
}

const secretsIn = (text: string) => ['s3cret-pass', 't0ken-value', 'drain-user'].filter((secret) => text.includes(secret));

test('bad drain URLs get a clear 4xx that says what to do, and nothing is stored', async (t) => {
  const s = await server(t);
  const serverPort = new URL(s.url).port;
  const cases: Array<[unknown, number, RegExp]> = [
    [{ url: 'ftp://logs.example.org/' }, 400, /"ftp:" is not a drain scheme/],
    [{ url: 'http://logs.example.org/drain' }, 400, /is not a drain URL Scalarium can send to: "http:" is not a drain scheme/],
    [{ url: 'not a url' }, 400, /spaces or control characters/],
    [{ url: 'syslog://user:pw@203.0.113.5:514' }, 400, /a syslog drain has no user name or password/],
    [{ url: 'syslog://203.0.113.5:514/path' }, 400, /a syslog drain is only a host and a port/],
    [{ url: 'syslog://203.0.113.5:514', format: 'json' }, 400, /--format is for https drains/],
    [{ url: 'https://203.0.113.5/', format: 'xml' }, 400, /format must be logplex or json/],
    [{}, 400, /url must be the drain URL/],
    [{ url: `syslog://127.0.0.1:${serverPort}` }, 400, /Refused to drain to syslog:\/\/127\.0\.0\.1:\d+: 127\.0\.0\.1 is a loopback address \(an operator can allow a range with SCALARIUM_OUTBOUND_ALLOW\)/],
    // Allowed as a range, but this server's own port: never.
    [{ url: `https://127.0.0.2:${serverPort}/` }, 400, /127\.0\.0\.2:\d+ is this Scalarium server's or router's own endpoint/],
    [{ url: 'syslog+tls://10.1.2.3:6514' }, 400, /10\.1\.2\.3 is a private address/],
    [{ url: 'https://169.254.169.254/latest' }, 400, /169\.254\.169\.254 is a link-local address/],
    [{ url: 'https://u:topsecret@10.0.0.1/' }, 400, /Refused to drain to https:\/\/\*\*\*:\*\*\*@10\.0\.0\.1\//],
  ];
  for (const [body, status, message] of cases) {
    const res = await s.api('POST', '/api/apps/shop/drains', body);
    t.is(res.status, status, JSON.stringify(body));
    t.regex(res.body.error?.message ?? '', message, JSON.stringify(body));
    if (String(res.body.error?.code).startsWith('log-drains.')) t.truthy(res.body.error?.hint, 'it says what to do');
    t.false(JSON.stringify(res.body).includes('topsecret'), 'no credentials in errors');
  }
  t.is((await s.api('POST', '/api/apps/nope/drains', { url: 'syslog://203.0.113.5:514' })).status, 404);
  t.is((await s.api('POST', '/api/clusters/nope/drains', { url: 'syslog://203.0.113.5:514' })).status, 404);
  t.deepEqual((await s.api('GET', '/api/apps/shop/drains')).body, []);
  t.is((await s.scalarium.db('log_drains')).length, 0, 'nothing stored');
});

test('a drain URL with credentials is sealed at rest and redacted in answers, audit rows and removal; it goes with its app', async (t) => {
  const s = await server(t);
  const added = await s.api('POST', '/api/apps/shop/drains', { url: SECRET_URL, format: 'json' });
  t.is(added.status, 201, JSON.stringify(added.body));
  t.like(added.body, { url: SHOWN_URL, kind: 'https', format: 'json', app: 'shop', createdBy: 'admin', state: 'ok', delivered: 0, dropped: 0, backlog: 0 });
  t.regex(added.body.token, /^d\.[0-9a-f-]{36}$/);
  const again = await s.api('POST', '/api/apps/shop/drains', { url: SECRET_URL, format: 'json' });
  t.is(again.status, 409);
  t.is(again.body.error.message, `The app shop already drains to ${SHOWN_URL}.`);

  const rows = await s.scalarium.db('log_drains');
  t.is(rows.length, 1);
  t.deepEqual(secretsIn(JSON.stringify(rows)), [], 'the URL is sealed at rest');
  t.is(rows[0].url_shown, SHOWN_URL);
  const list = await s.api('GET', '/api/apps/shop/drains');
  t.deepEqual(secretsIn(JSON.stringify(list.body)), []);

  const removed = await s.api('DELETE', `/api/apps/shop/drains/${added.body.token}`);
  t.is(removed.status, 200);
  t.like(removed.body, { url: SHOWN_URL, state: 'stopped' });
  t.is((await s.api('DELETE', `/api/apps/shop/drains/${added.body.token}`)).status, 404);
  const audit = (await s.api('GET', '/api/audit?limit=50')).body as Array<{ action: string; target: string; detail?: unknown }>;
  const rowsOfDrains = audit.filter((a) => a.action.startsWith('drain.'));
  t.deepEqual(rowsOfDrains.map((a) => `${a.action} ${a.target}`).sort(), ['drain.add shop', 'drain.remove shop']);
  t.deepEqual(secretsIn(JSON.stringify(audit)), [], 'audit rows carry the redacted URL');
  t.true(JSON.stringify(rowsOfDrains).includes(SHOWN_URL.replaceAll('*', '*')));

  // A drain goes with its app: row (cascade) and sender.
  const receiver = await syslogReceiver();
  t.teardown(() => receiver.stop());
  t.is((await s.api('POST', '/api/apps/shop/drains', { url: receiver.url })).status, 201);
  s.scalarium.hooks.log.call({ app: 'shop', source: 'web.1', line: 'hello', at: new Date().toISOString() });
  await receiver.until(1);
  t.is((await s.api('DELETE', '/api/apps/shop?confirm=shop')).status, 204);
  t.is((await s.scalarium.db('log_drains')).length, 0, 'the row went with the app');
  t.is((await s.api('POST', '/api/apps', { name: 'shop' })).status, 201);
  t.deepEqual((await s.api('GET', '/api/apps/shop/drains')).body, [], 'a new app of that name has no drains');
  t.deepEqual(secretsIn(s.output()), [], 'nor does the server log');
});

test('the CLI adds, lists and removes drains of an app and of a cluster, with redacted URLs', async (t) => {
  const s = await server(t);
  const opts = await loggedIn(t, { server: s });
  const added = await cli(['drains:add', SECRET_URL, '--app', 'shop'], opts);
  t.is(added.code, 0, added.stderr);
  t.regex(added.stdout, /^Logs of app shop now also drain to https:\/\/\*\*\*:\*\*\*@127\.0\.0\.2:6443\/…\?token=\*\*\*&x=\*\*\* \(logplex\), token d\.[0-9a-f-]{36}\.\n$/);
  t.is((await cli(['drains:add', 'syslog+tls://203.0.113.5:6514', '--cluster', 'local'], opts)).code, 0);
  const listed = await cli(['drains', '--app', 'shop'], opts);
  t.is(listed.code, 0, listed.stderr);
  t.regex(listed.stdout, /^TOKEN\s+URL\s+FORMAT\s+STATE\s+DELIVERED\s+DROPPED\s+BACKLOG\s+LAST ERROR\n/);
  t.regex(listed.stdout, /d\.[0-9a-f-]{36}\s+https:\/\/\*\*\*:\*\*\*@127\.0\.0\.2:6443\/…\?token=\*\*\*&x=\*\*\*\s+logplex\s+\S+\s+0\s+0\s+\d+/);
  const json = JSON.parse((await cli(['drains', '--cluster', 'local', '--json'], opts)).stdout);
  t.like(json[0], { url: 'syslog+tls://203.0.113.5:6514', cluster: 'local', format: 'rfc5424' });
  const refused = await cli(['drains:add', 'ftp://x/', '--app', 'shop'], opts);
  t.is(refused.code, 1);
  t.regex(refused.stderr, /not a drain URL Scalarium can send to[\s\S]*syslog\+tls:\/\/HOST:PORT/);
  t.is((await cli(['drains', '--app', 'shop', '--cluster', 'local'], opts)).code, 2, 'not both');

  // By URL (compared redacted; it names one drain) and by token.
  const byUrl = await cli(['drains:remove', SECRET_URL, '--app', 'shop'], opts);
  t.is(byUrl.code, 0, byUrl.stderr);
  t.regex(byUrl.stdout, /^Logs of app shop no longer drain to https:\/\/\*\*\*:\*\*\*@127\.0\.0\.2:6443\//);
  t.is((await cli(['drains:remove', 'syslog://203.0.113.9:514', '--app', 'shop'], opts)).code, 2, 'no such drain: say so');
  const removed = await cli(['drains:remove', json[0].token, '--cluster', 'local'], opts);
  t.is(removed.code, 0, removed.stderr);
  t.regex((await cli(['drains', '--app', 'shop'], opts)).stdout, /^No drains\./);
  t.deepEqual(secretsIn(added.stdout + listed.stdout + byUrl.stdout + removed.stdout), []);
});

test('the UI: a Drains tab; managers see drains with redacted URLs and counters, add and remove them; viewers are told it is for managers', async (t) => {
  const s = await server(t);
  const ui = await uiLogin(s.url, s.token);
  const overview = await ui.get('/apps/shop');
  t.regex(overview.html, /<a href="\/apps\/shop\/drains">Drains<\/a>/);
  t.regex((await ui.get('/apps/shop/drains')).html, /No drains yet/);
  const added = await ui.post('/apps/shop/drains', { url: SECRET_URL, format: 'json' });
  t.is(added.status, 303, added.html.slice(0, 500));
  const page = await ui.get(added.location!);
  t.regex(page.html, /Logs of app shop now drain to https:\/\/\*\*\*:\*\*\*@127\.0\.0\.2:6443/);
  t.regex(page.html, /<td><code>https:\/\/\*\*\*:\*\*\*@127\.0\.0\.2:6443\/…\?token&#x3D;\*\*\*&amp;x&#x3D;\*\*\*<\/code><\/td>\s*<td>json<\/td>\s*<td><span class="state state-ok">ok<\/span><\/td>\s*<td>0<\/td>/);
  t.deepEqual(secretsIn(page.html), []);
  const bad = await ui.post('/apps/shop/drains', { url: 'ftp://<b>x</b>/', format: 'default' });
  t.is(bad.status, 400);
  t.regex(bad.html, /is not a drain URL Scalarium can send to/);
  t.false(bad.html.includes('<b>x</b>'), 'escaped');
  const token = /name="token" value="(d\.[0-9a-f-]+)"/.exec(page.html)![1]!;
  const removed = await ui.post('/apps/shop/drains/remove', { token });
  t.is(removed.status, 303);
  t.regex((await ui.get('/apps/shop/drains')).html, /No drains yet/);
  t.regex((await ui.get('/clusters/local/drains')).html, /every app of this cluster/);
  t.is((await ui.get('/apps/nope/drains')).status, 404);

  // A viewer of the app: the tab says who may see drains, and the form POST is refused.
  t.is((await s.api('POST', '/api/users', { name: 'vera' })).status, 201);
  t.is((await s.api('POST', '/api/access', { user: 'vera', app: 'shop', role: 'viewer' })).status, 201);
  const vera = await findUserByName(s.scalarium.db, 'vera');
  const viewer = await uiLogin(s.url, await createToken(s.scalarium.db, vera!.id, { name: 'ui' }));
  const seen = await viewer.get('/apps/shop/drains');
  t.is(seen.status, 200);
  t.regex(seen.html, /Drains are shown to the app's managers/);
  t.is((await viewer.post('/apps/shop/drains', { url: 'syslog://203.0.113.5:514' })).status, 403);
  t.is((await s.scalarium.db('log_drains')).length, 0);
});
