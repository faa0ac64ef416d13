// App logs on the real server in-process (null provider): the fake agent's lines, the fake router's
// access entries and the platform's events in Heroku's format; filters through the API, the CLI and
// the Logs page; escaping and splitting; who may read what; rotation and a restart on a real folder.
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { createTestScalarium, type TestScalarium } from '../../test/helpers/harness.ts';
import { uiLogin } from '../../test/helpers/ui-client.ts';
import { cli, loggedIn, must, shopAndBlog, until } from '../../cli/test-support.ts';
import { createToken, findUserByName, type LogLine } from '../../server/plugin-api.ts';
import type { AccessEntry } from '../../server/agent/protocol.ts';
import { LogStore } from './log-store.ts';
import { maxBytes } from './index.ts';
import { formatLine, parseLine } from './format.ts';

const logsOf = async (s: TestScalarium, query = '') => (await must<string>(s, 200, 'GET', `/api/apps/shop/logs?lines=10000${query}`));

/** Lines the fake agent of shop prints, and waits until the server has kept them. */
async function printed(s: TestScalarium, lines: Array<[source: string, line: string, at?: string]>): Promise<string> {
  const agent = s.cloud.instance('local-app-1');
  for (const [source, line, at] of lines) agent.log('shop', source, line, at);
  const last = lines.at(-1)![1].slice(0, 10);
  return until('the lines to be kept', async () => {
    const text = await logsOf(s);
    return text.includes(last) ? text : undefined;
  });
}

test('one stream per app in Heroku\'s format: app lines, platform events; filters by process, source, text and time', async (t) => {
  const { server: s, env, cwd } = await loggedIn(t);
  await shopAndBlog(s);
  const all = await printed(s, [
    ['web.1', 'listening on 5001', '2026-11-28T10:00:00.000Z'],
    ['web.2', 'Listening on 5002', '2026-11-28T10:00:01.000Z'],
    ['worker.1', 'tick', new Date().toISOString()],
  ]);
  t.regex(all, /^2026-11-28T10:00:00\.000000\+00:00 app\[web\.1\]: listening on 5001$/m);
  t.regex(all, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00 scalarium\[release\]: Release v1 by admin$/m);
  t.regex(all, /^\S+ scalarium\[deploy\]: Release v1 by admin is live: Deploy 1a2b3c4$/m);
  t.regex(all, /^\S+ scalarium\[api\]: Config vars changed by admin$/m);
  t.regex(all, /^\S+ scalarium\[scale\]: Formation changed by admin$/m);
  t.false(all.includes('blog'), 'only shop\'s own lines');

  t.is(await logsOf(s, '&ps=web.1'), '2026-11-28T10:00:00.000000+00:00 app[web.1]: listening on 5001\n');
  t.is((await logsOf(s, '&ps=web')).split('\n').filter(Boolean).length, 2, 'a process type matches its processes');
  t.is(await logsOf(s, '&grep=LISTENING%20ON%205002'), '2026-11-28T10:00:01.000000+00:00 app[web.2]: Listening on 5002\n', 'any case');
  const platform = (await logsOf(s, '&source=scalarium')).split('\n').filter(Boolean);
  t.true(platform.length >= 4 && platform.every((l) => / scalarium\[/.test(l)), platform.join('\n'));
  t.regex(await logsOf(s, '&source=app&since=1h'), /^\S+ app\[worker\.1\]: tick\n$/, 'lines of the last hour only');
  t.is(await logsOf(s, '&source=app&since=2026-11-28T10:00:00.500Z&ps=web'), '2026-11-28T10:00:01.000000+00:00 app[web.2]: Listening on 5002\n');
  t.is((await must<string>(s, 200, 'GET', '/api/apps/shop/logs?source=app&lines=1')).split('\n').filter(Boolean).length, 1);

  const bad = await s.api('GET', '/api/apps/shop/logs?source=db');
  t.is(bad.status, 400);
  t.regex(bad.body.error.message, /source must be app, router or scalarium, got "db"/);
  t.is((await s.api('GET', '/api/apps/shop/logs?since=yesterday')).status, 400);
  t.is((await s.api('GET', '/api/apps/shop/logs?ps=web%201')).status, 400);

  const byCli = await cli(['logs', '-a', 'shop', '--ps', 'web.2', '-n', '5'], { env, cwd });
  t.deepEqual(byCli, { code: 0, stdout: '2026-11-28T10:00:01.000000+00:00 app[web.2]: Listening on 5002\n', stderr: '' });
  const grepCli = await cli(['logs', '-a', 'shop', '--source', 'app', '--grep', 'tick', '--since', '1h'], { env, cwd });
  t.regex(grepCli.stdout, /^\S+ app\[worker\.1\]: tick\n$/);
  const usage = await cli(['logs', '-a', 'shop', '--source', 'db'], { env, cwd });
  t.is(usage.code, 2);
  t.regex(usage.stderr, /--source must be app, router or scalarium/);
  const server400 = await cli(['logs', '-a', 'shop', '--since', 'last week'], { env, cwd });
  t.is(server400.code, 1);
  t.regex(server400.stderr, /since must be a duration or a time/);
});

test('one app line can never forge another: control characters escaped, long lines split at 10 KB', async (t) => {
  const s = await createTestScalarium();
  t.teardown(() => s.close());
  await shopAndBlog(s);
  const forged = 'real\n2026-11-28T10:00:00.000000+00:00 app[web.2]: forged';
  const all = await printed(s, [['web.1', forged], ['web.1', '\u001b[31mred\u001b[0m \u0000nul\rcr \u0085nel\ttab <b>html</b>'], ['web.1', 'x'.repeat(25_000)], ['web.1', 'end']]);
  t.regex(all, / app\[web\.1\]: real\\x0a2026-11-28T10:00:00\.000000\+00:00 app\[web\.2\]: forged\n/);
  t.false(/^\S+ app\[web\.2\]: forged$/m.test(all), 'no line of web.2 was made');
  t.regex(all, / app\[web\.1\]: \\x1b\[31mred\\x1b\[0m \\x00nul\\x0dcr \\u0085nel\ttab <b>html<\/b>\n/);
  const long = all.split('\n').filter((l) => / app\[web\.1\]: x+$/.test(l)).map((l) => l.replace(/^.*?: /, '').length);
  t.deepEqual(long, [10_240, 10_240, 4520]);
});

test('router access lines for the apps of its cluster, off with SCALARIUM_ROUTER_LOGS=off; process crashes and restarts', async (t) => {
  const s = await createTestScalarium();
  t.teardown(() => s.close());
  await shopAndBlog(s);
  // The fake router's connection (private to the fake) sends a batch as a real router does.
  const router = s.cloud.instance('local-router-1') as unknown as { connection: { send(message: unknown): void } };
  const entry = (host: string, path: string): AccessEntry => [Date.now(), host, 'GET', path, 200, 12.4, 1234, '::ffff:10.0.0.7', 0];
  router.connection.send({ type: 'log', access: [entry('shop.localhost', '/cart?id="1"'), entry('blog.localhost', '/'), entry('other.example', '/'), [Date.now(), 'shop.localhost', 'GET', '/x', 503, 0, 0, '::ffff:10.0.0.7', 0, 'H14'], { not: 'a tuple' }] });
  const lines = await until('the access lines', async () => {
    const text = await logsOf(s, '&source=router');
    return text.includes('/x') ? text : undefined;
  });
  t.is(lines.replace(/^\S+ /gm, ''), 'router[local-router-1]: at=info method=GET path="/cart?id=\\"1\\"" host=shop.localhost fwd="10.0.0.7" status=200 service=12ms bytes=1234 protocol=http\n'
    + 'router[local-router-1]: at=error code=H14 desc="No process ready" method=GET path="/x" host=shop.localhost fwd="10.0.0.7" status=503 service=0ms bytes=0 protocol=http\n');
  t.regex(await must<string>(s, 200, 'GET', '/api/apps/blog/logs?source=router'), /host=blog\.localhost/, 'each app gets its own');
  // An agent may not send access entries.
  (s.cloud.instance('local-app-1') as unknown as { connection: { send(message: unknown): void } }).connection.send({ type: 'log', access: [entry('shop.localhost', '/from-an-agent')] });

  await must(s, 200, 'PATCH', '/api/apps/shop/config', { SCALARIUM_ROUTER_LOGS: 'off' });
  // The setting is read at most every 5 s: wait until a fresh batch is dropped while blog's still comes.
  await until('router lines of shop to stop', async () => {
    router.connection.send({ type: 'log', access: [entry('shop.localhost', '/after-off'), entry('blog.localhost', '/marker')] });
    const blog = await must<string>(s, 200, 'GET', '/api/apps/blog/logs?lines=10000&source=router&grep=/marker');
    const shop = await logsOf(s, '&source=router&grep=/after-off');
    return blog.split('\n').length > 2 && shop.split('\n').length - 1 < blog.split('\n').length - 1;
  }, 15_000);
  const before = (await logsOf(s, '&grep=/after-off')).split('\n').length;
  router.connection.send({ type: 'log', access: [entry('shop.localhost', '/after-off'), entry('blog.localhost', '/last-marker')] });
  await until('blog\'s marker', async () => (await must<string>(s, 200, 'GET', '/api/apps/blog/logs?grep=/last-marker')).includes('last-marker'));
  t.is((await logsOf(s, '&grep=/after-off')).split('\n').length, before, 'none of shop\'s once off');
  t.false((await logsOf(s)).includes('/from-an-agent'));

  s.scalarium.hooks.processChanged.call({ processId: 'shop-web-0a1b2c3d4e', app: 'shop', type: 'web', instanceId: 'local-app-1', release: 1, state: 'crashed', restarts: 1, reason: 'exited with code 1', at: Date.now() });
  s.scalarium.hooks.processChanged.call({ processId: 'shop-web-0a1b2c3d4e', app: 'shop', type: 'web', instanceId: 'local-app-1', release: 1, state: 'ready', restarts: 1, at: Date.now() });
  const ps = await logsOf(s, '&ps=ps');
  t.regex(ps, /scalarium\[ps\]: web shop-web-0a1b2c3d4e crashed \(exited with code 1\), restarting\n\S+ scalarium\[ps\]: web shop-web-0a1b2c3d4e is up again after 1 restart\n$/);
});

test('a deployer of one app reads its logs and nothing of another: API, live stream and page', async (t) => {
  const s = await createTestScalarium();
  t.teardown(() => s.close());
  await shopAndBlog(s);
  await printed(s, [['web.1', 'shop <script>alert(1)</script> \u001b[1mbold']]);
  await must(s, 201, 'POST', '/api/users', { name: 'dee', email: 'dee@example.com' });
  await must(s, 201, 'POST', '/api/access', { user: 'dee', app: 'shop', role: 'deployer' });
  await must(s, 201, 'POST', '/api/users', { name: 'vic', email: 'vic@example.com' });
  await must(s, 201, 'POST', '/api/access', { user: 'vic', app: 'shop', role: 'viewer' });
  const tokenOf = async (name: string) => createToken(s.scalarium.db, (await findUserByName(s.scalarium.db, name))!.id, { name: `${name}-token` });
  const dee = await tokenOf('dee');

  t.is((await s.api('GET', '/api/apps/shop/logs', undefined, dee)).status, 200);
  t.is((await s.api('GET', '/api/apps/blog/logs', undefined, dee)).status, 404);
  t.is((await s.api('GET', '/api/apps/blog/logs?tail=1', undefined, dee)).status, 404, 'the live stream too');
  t.is((await s.api('GET', '/api/apps/shop/logs', undefined, await tokenOf('vic'))).status, 200, 'an app\'s viewers read its logs');

  const ui = await uiLogin(s.url, dee);
  const page = await ui.get('/apps/shop/logs?grep=shop');
  t.is(page.status, 200);
  t.true(page.html.includes('app[web.1]: shop &lt;script&gt;alert(1)&lt;/script&gt; \\x1b[1mbold'), 'escaped, as text');
  t.false(page.html.includes('<script>alert'));
  t.regex(page.html, /<pre class="log" data-stream="\/apps\/shop\/logs\/stream\?grep&#x3D;shop">/, 'the live tail keeps the filter');
  t.regex(page.html, /<form class="row log-search" method="get"/, 'search works without JavaScript');
  t.is((await ui.get('/apps/blog/logs')).status, 404);
  t.is((await ui.get('/apps/blog/logs/stream')).status, 404);
  t.is((await ui.get('/apps/shop/logs?since=soon')).status, 400);
  const script = await fetch(`${s.url}/assets/logging/tail.js`);
  t.is(script.status, 200);
  t.regex(await script.text(), /new EventSource/);

  // The live stream: server-sent events, one per new line that passes the filter.
  const login = await fetch(`${s.url}/login`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ token: dee }) });
  const cookie = login.headers.getSetCookie().find((c) => c.startsWith('scalarium_session='))!.split(';')[0]!;
  const policy = (await fetch(`${s.url}/apps/shop/logs`, { headers: { cookie } })).headers.get('content-security-policy');
  t.is(policy, "default-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'", 'the server\'s own script only, nothing inline');
  const events = await new Promise<string>((resolve, reject) => {
    const req = http.get(`${s.url}/apps/shop/logs/stream?ps=web.2`, { headers: { cookie } }, (res) => {
      t.regex(String(res.headers['content-type']), /^text\/event-stream/);
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        if (text.startsWith(': live')) {
          s.cloud.instance('local-app-1').log('shop', 'web.1', 'not this one');
          s.cloud.instance('local-app-1').log('shop', 'web.2', 'live <i>line</i>');
        }
        if (text.includes('live <i>')) {
          req.destroy();
          resolve(text);
        }
      });
    });
    req.on('error', reject);
  });
  t.regex(events, /^: live\n\ndata: \S+ app\[web\.2\]: live <i>line<\/i>\n\n$/);
});

test('each app keeps at most its bound, rotated once; reads span both files; a restarted server reads the old lines', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scalarium-logs-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const bound = 64 * 1024;
  const store = new LogStore(dir, bound);
  const line = (i: number): LogLine => ({ app: 'shop', source: 'web.1', line: `line ${i} ${'.'.repeat(80)}`, at: new Date(Date.UTC(2026, 11, 1, 10, 0, 0, i)).toISOString() });
  for (let i = 0; i < 3000; i++) store.append(line(i));
  const read = await store.read('shop', 10_000);
  const sizes = ['shop.log', 'shop.log.1'].map((f) => fs.statSync(path.join(dir, f)).size);
  t.true(sizes[0]! + sizes[1]! <= bound, `${sizes.join(' + ')} bytes`);
  t.true(sizes[1]! > bound / 2 - 200, 'the rotated file is nearly half the bound');
  t.is(read.at(-1), formatLine(line(2999)).trimEnd(), 'the newest line last');
  t.is(read.length, Math.round((sizes[0]! + sizes[1]!) / formatLine(line(2999)).length), 'every line of both files');
  const first = Number(/line (\d+)/.exec(read[0]!)![1]);
  t.true(first > 0 && first < 3000 - fs.readFileSync(path.join(dir, 'shop.log'), 'utf8').split('\n').length, 'the oldest lines come from the rotated file');
  t.deepEqual(await store.read('shop', 2, { grep: `line ${first + 1} ` }), [formatLine(line(first + 1)).trimEnd()], 'a search finds a line of the rotated file');
  store.close();

  const restarted = new LogStore(dir, bound);
  t.deepEqual(await restarted.read('shop', 10_000), read, 'a new store on the folder reads what was there');
  restarted.append(line(3000));
  t.is((await restarted.read('shop', 1))[0], formatLine(line(3000)).trimEnd());
  t.true(fs.statSync(path.join(dir, 'shop.log')).size + fs.statSync(path.join(dir, 'shop.log.1')).size <= bound, 'the old size counts');
  restarted.forget('shop');
  t.deepEqual(fs.readdirSync(dir), [], 'a destroyed app\'s log goes');
  restarted.close();

  t.is(maxBytes(undefined), 50 * 1024 * 1024);
  t.is(maxBytes('65536'), 65536);
  t.throws(() => maxBytes('1k'), { message: /SCALARIUM_LOG_MAX_BYTES must be a whole number of bytes, at least 65536, got "1k"/ });
  t.deepEqual(parseLine('2026-11-28T10:00:00.000Z app[web.1]: old format'), { at: Date.parse('2026-11-28T10:00:00.000Z'), source: 'app', process: 'web.1', message: 'old format', text: '2026-11-28T10:00:00.000Z app[web.1]: old format' }, 'lines kept by an older server still read');
});
