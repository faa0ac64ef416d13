// Accounting on the real server in-process (null provider: FAKE instances that connect over the
// real agent protocol; real SQLite, real HTTP). The accounting clock is a test clock: time moves
// only when a test says, so every figure below is exact.
import test from 'ava';
import { cli, loggedIn } from '../../cli/test-support.ts';
import { createTestScalarium, type TestScalarium } from '../../test/helpers/harness.ts';
import { uiLogin } from '../../test/helpers/ui-client.ts';
import { builtinPlugins } from '../builtin.ts';
import { createToken, findUserByName } from '../../server/plugin-api.ts';
import { createAccountingPlugin } from './index.ts';
import type { ClockSources } from './clock.ts';
import type { AppRow, ClusterRow, UsageReport, UserRow } from './report.ts';

const T0 = Date.UTC(2026, 10, 10, 12, 0, 0);

/** A wall clock standing at 2026-11-10 12:00 UTC and a monotonic clock that moves when told. */
function testClock() {
  let elapsed = 0;
  const sources: ClockSources = { wall: () => T0, monotonic: () => elapsed };
  return { sources, advance: (seconds: number) => void (elapsed += seconds * 1000) };
}

async function server(t: import('ava').ExecutionContext, clock: ReturnType<typeof testClock>): Promise<TestScalarium> {
  const plugins = builtinPlugins().map((p) => (p.name === 'accounting' ? createAccountingPlugin({ clock: clock.sources, heartbeatMs: 3_600_000 }) : p));
  const s = await createTestScalarium({ plugins });
  t.teardown(() => s.close());
  return s;
}

async function must(s: TestScalarium, method: string, path: string, body?: unknown, token?: string) {
  const answer = await s.api(method, path, body, token);
  if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

const usage = async (s: TestScalarium, query: string, token?: string) => (await must(s, 'GET', `/api/usage?${query}`, undefined, token)) as UsageReport;

test('process- and instance-seconds to the second from deploys, scaling and destroy; priced per size and type', async (t) => {
  const clock = testClock();
  const s = await server(t, clock);
  // The fakes (local-app-1, local-router-1) connected at T0.
  await must(s, 'POST', '/api/apps', { name: 'shop' });
  clock.advance(100);
  await s.deployFakeRelease('shop', { processTypes: { web: 'node server.js', worker: 'node worker.js' } });
  await must(s, 'PATCH', '/api/apps/shop/formation', { web: 2, worker: 1 });
  clock.advance(3600);
  await must(s, 'PATCH', '/api/apps/shop/formation', { worker: 0 });
  clock.advance(1800);

  const byApp = await usage(s, 'month=2026-11&by=app');
  t.like(byApp, { month: '2026-11', by: 'app', from: '2026-11-01T00:00:00.000Z', to: '2026-11-10T13:31:40.000Z', currency: 'USD' });
  const shop = (byApp.rows as AppRow[])[0]!;
  t.like(shop, { app: 'shop', cluster: 'local', owner: 'admin', destroyed: false });
  // web: one process from T0+100 s, a second from the scale at the same moment; both still run.
  t.deepEqual(shop.processTypes.map((p) => [p.type, p.size, p.seconds]), [['web', 'standard', 2 * 5400], ['worker', 'standard', 3600]]);
  t.is(shop.processSeconds, 14_400);
  t.is(shop.cost, 0.0416, 'the default price of a standard process: 0.0104 USD an hour');

  await must(s, 'PUT', '/api/usage/prices', { instanceTypes: { null: 0.5 }, sizes: { standard: 0.036 } });
  t.is((await usage(s, 'month=2026-11')).total.cost, 0.144, '4 process-hours at 0.036');
  const byCluster = await usage(s, 'month=2026-11&by=cluster');
  const local = (byCluster.rows as ClusterRow[])[0]!;
  t.like(local, { cluster: 'local', destroyed: false, instanceSeconds: 11_000, processSeconds: 14_400, processCost: 0.144 });
  t.deepEqual(local.instances.map((i) => [i.role, i.instanceType, i.seconds, i.pricePerHour, i.cost]), [['app', 'null', 5500, 0.5, 0.763889], ['router', 'null', 5500, 0.5, 0.763889]]);
  t.is(byCluster.total.cost, 1.527778);
  const byUser = await usage(s, 'month=2026-11&by=user');
  t.deepEqual((byUser.rows as UserRow[]).map((u) => [u.user, u.processSeconds, u.cost, u.apps.map((a) => a.app)]), [['admin', 14_400, 0.144, ['shop']]]);
  t.deepEqual((await usage(s, 'month=2026-10')).rows, [], 'nothing ran in October');

  // A destroyed app stays billable; a new app of its name is a row of its own.
  t.is((await s.api('DELETE', '/api/apps/shop?confirm=shop')).status, 204);
  clock.advance(600);
  await must(s, 'POST', '/api/apps', { name: 'shop' });
  const after = (await usage(s, 'month=2026-11')).rows as AppRow[];
  t.is(after.length, 1, 'the new shop has run nothing yet');
  t.like(after[0], { app: 'shop', destroyed: true, processSeconds: 14_400 });

  const csv = await fetch(`${s.url}/api/usage?month=2026-11&by=app&format=csv`, { headers: { authorization: `Bearer ${s.token}` } });
  t.is(csv.status, 200);
  t.regex(csv.headers.get('content-type') ?? '', /^text\/csv/);
  t.regex(csv.headers.get('content-disposition') ?? '', /filename="scalarium-usage-2026-11-by-app\.csv"/);
  t.is(await csv.text(), [
    'month,app,cluster,owner,destroyed,process_type,size,seconds,price_per_hour_usd,priced,cost_usd',
    '2026-11,shop,local,admin,true,web,standard,10800,0.036,true,0.108',
    '2026-11,shop,local,admin,true,worker,standard,3600,0.036,true,0.036',
    '',
  ].join('\r\n'));
  const accepted = await fetch(`${s.url}/api/usage?month=2026-11&by=cluster`, { headers: { authorization: `Bearer ${s.token}`, accept: 'text/csv' } });
  t.regex(await accepted.text(), /^month,cluster,destroyed,role,instance_type,seconds/);
});

test('bad months, groupings and prices are refused with what to do, and nothing is stored', async (t) => {
  const s = await server(t, testClock());
  for (const [query, hint] of [['month=2026-13', /YYYY-MM/], ['month=26-11', /YYYY-MM/], ['month=2026-11&month=2026-12', /YYYY-MM/], ['by=nonsense', /--by app, --by cluster or --by user/], ['format=xml', /format=csv/]] as const) {
    const { status, body } = await s.api('GET', `/api/usage?${query}`);
    t.is(status, 400, query);
    t.is(body.error.code, 'invalid_query', query);
    t.regex(body.error.hint, hint, query);
  }
  t.regex((await s.api('GET', '/api/usage?month=2026-13')).body.error.message, /"2026-13" is not a valid month/);
  const before = (await must(s, 'GET', '/api/usage/prices?month=2026-11')) as unknown;
  for (const body of [
    { instanceTypes: { 't3.micro': 'cheap' } }, { instanceTypes: { 't3.micro': -1 } }, { instanceTypes: { 't3.micro': 0.0000001 } },
    { instanceTypes: { 't3.small': 0.02, 't3.micro': 'x' } }, { sizes: { huge: 1 } }, { instanceTypes: { 'bad type': 1 } }, { from: '2026-13', sizes: { standard: 1 } }, {}, { price: 1 },
  ]) {
    const { status, body: answer } = await s.api('PUT', '/api/usage/prices', body);
    t.is(status, 400, JSON.stringify(body));
    t.is(answer.error.code, 'invalid_body');
  }
  t.regex((await s.api('PUT', '/api/usage/prices', { instanceTypes: { 't3.micro': 'cheap' } })).body.error.message,
    /the price of instance type "t3.micro" must be a number of US dollars per hour from 0 to 10000/);
  t.deepEqual(await must(s, 'GET', '/api/usage/prices?month=2026-11'), before, 'no price was stored, not even the good one beside a bad one');
  t.is((await s.scalarium.db('usage_prices')).length, 0);
});

test('prices hold from a month on: earlier months keep theirs, and removing one brings back the one before', async (t) => {
  const s = await server(t, testClock());
  await must(s, 'PUT', '/api/usage/prices', { from: '2026-10', instanceTypes: { 't3.micro': 0.02 } });
  await must(s, 'PUT', '/api/usage/prices', { from: '2026-12', instanceTypes: { 't3.micro': 0.03 } });
  const price = async (month: string) => ((await must(s, 'GET', `/api/usage/prices?month=${month}`)) as { instanceTypes: Array<{ name: string; perHour: number; source: string }> })
    .instanceTypes.find((p) => p.name === 't3.micro');
  t.like(await price('2026-09'), { perHour: 0.0104, source: 'default' });
  t.like(await price('2026-11'), { perHour: 0.02, source: 'operator', fromMonth: '2026-10' });
  t.like(await price('2027-01'), { perHour: 0.03 });
  await must(s, 'PUT', '/api/usage/prices', { from: '2026-12', instanceTypes: { 't3.micro': null } });
  t.like(await price('2027-01'), { perHour: 0.02 });
  const audit = (await must(s, 'GET', '/api/audit?action=usage.prices.set')) as Array<{ actor: string; target: string }>;
  t.like(audit[0], { actor: 'admin', target: '2026-12' });
});

test('a viewer of one app sees that app\'s usage only; a token scoped to one app learns nothing of other apps or clusters', async (t) => {
  const clock = testClock();
  const s = await server(t, clock);
  for (const name of ['shop', 'blog']) {
    await must(s, 'POST', '/api/apps', { name });
    await s.deployFakeRelease(name, { processTypes: { web: 'node server.js' } });
  }
  clock.advance(60);
  await must(s, 'POST', '/api/users', { name: 'vera' });
  await must(s, 'POST', '/api/access', { user: 'vera', app: 'blog', role: 'deployer' });
  const vera = (await findUserByName(s.scalarium.db, 'vera'))!.id;
  const full = await createToken(s.scalarium.db, vera, { name: 'usage-full' });
  const scoped = await createToken(s.scalarium.db, vera, { name: 'usage-scoped', scope: { kind: 'app', name: 'blog' } });

  for (const token of [full, scoped]) {
    const byApp = await usage(s, 'by=app', token);
    t.deepEqual((byApp.rows as AppRow[]).map((a) => a.app), ['blog']);
    t.is(byApp.total.seconds, 60, 'the total is of what may be seen');
    t.deepEqual((await usage(s, 'by=cluster', token)).rows, [], 'no cluster role: no instances');
    t.deepEqual(((await usage(s, 'by=user', token)).rows as UserRow[]).map((u) => u.apps.map((a) => a.app)), [['blog']]);
    const csv = await fetch(`${s.url}/api/usage?format=csv`, { headers: { authorization: `Bearer ${token}` } });
    const text = await csv.text();
    t.false(text.includes('shop'), text);
    t.is(text.split('\r\n').filter(Boolean).length, 2, 'a header and blog\'s line');
    const set = await s.api('PUT', '/api/usage/prices', { sizes: { standard: 100 } }, token);
    t.is(set.status, 403);
  }
  t.deepEqual(((await usage(s, 'by=app')).rows as AppRow[]).map((a) => a.app), ['blog', 'shop'], 'the admin sees both');
  t.is((await s.scalarium.db('usage_prices')).length, 0);

  // A cluster viewer sees the cluster's instances and all its apps.
  await must(s, 'POST', '/api/users', { name: 'cleo' });
  await must(s, 'POST', '/api/access', { user: 'cleo', cluster: 'local', role: 'viewer' });
  const cleo = await createToken(s.scalarium.db, (await findUserByName(s.scalarium.db, 'cleo'))!.id, { name: 'usage-cluster' });
  t.deepEqual(((await usage(s, 'by=cluster', cleo)).rows as ClusterRow[]).map((c) => [c.cluster, c.instanceSeconds]), [['local', 120]]);
  t.deepEqual(((await usage(s, 'by=app', cleo)).rows as AppRow[]).map((a) => a.app), ['blog', 'shop']);
});

test('the CLI prints usage by app, cluster and user, CSV, and the prices; it sets prices', async (t) => {
  const clock = testClock();
  const s = await server(t, clock);
  await must(s, 'POST', '/api/apps', { name: 'shop' });
  await s.deployFakeRelease('shop', { processTypes: { web: 'node server.js' } });
  clock.advance(7200);
  const opts = await loggedIn(t, { server: s });
  const set = await cli(['usage:prices:set', '--size', 'standard=0.05'], opts);
  t.is(set.code, 0, set.stderr);
  t.regex(set.stdout, /process size\s+standard\s+0\.05\s+set from 2026-11/);
  const byApp = await cli(['usage', '--month', '2026-11'], opts);
  t.is(byApp.code, 0, byApp.stderr);
  t.regex(byApp.stdout, /^Usage of 2026-11 by app, 2026-11-01 00:00:00 – 2026-11-10 14:00:00 UTC \(USD\)/);
  t.regex(byApp.stdout, /APP\s+CLUSTER\s+OWNER\s+HOURS\s+PER TYPE\s+COST USD/);
  t.regex(byApp.stdout, /shop\s+local\s+admin\s+2\.00\s+web=2\.00\s+0\.10/);
  t.regex(byApp.stdout, /Total: 0\.10 USD/);
  t.regex((await cli(['usage', '--by', 'cluster'], opts)).stdout, /local\s+4\.00\s+app\/null\(no price\)=2\.00 router\/null\(no price\)=2\.00\s+0\.00\s+0\.10/);
  t.regex((await cli(['usage', '--by', 'user'], opts)).stdout, /admin\s+1\s+2\.00\s+0\.10/);
  const csv = await cli(['usage', '--csv'], opts);
  t.is(csv.stdout.split('\r\n')[1], '2026-11,shop,local,admin,false,web,standard,7200,0.05,true,0.1');
  t.is(JSON.parse((await cli(['usage', '--json'], opts)).stdout).total.seconds, 7200);
  t.regex((await cli(['usage:prices'], opts)).stdout, /instance type\s+t3\.micro\s+0\.0104\s+default/);

  const bad = await cli(['usage', '--month', '2026-13'], opts);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /"2026-13" is not a valid month/);
  t.regex((await cli(['usage', '--by', 'nonsense'], opts)).stderr, /"nonsense" is not a valid grouping/);
  t.is((await cli(['usage:prices:set', 't3.micro=cheap'], opts)).code, 2, 'a usage error, nothing sent');
  t.is((await cli(['usage', '--csv', '--json'], opts)).code, 2);
});

test('the Usage page: in the menu, this month by app and by cluster with costs, CSV links; a viewer sees their app only', async (t) => {
  const clock = testClock();
  const s = await server(t, clock);
  for (const name of ['shop', 'blog']) {
    await must(s, 'POST', '/api/apps', { name });
    await s.deployFakeRelease(name, { processTypes: { web: 'node server.js' } });
  }
  clock.advance(3600);
  const ui = await uiLogin(s.url, s.token);
  const page = await ui.get('/usage');
  t.is(page.status, 200);
  t.regex(page.html, /<a href="\/usage">Usage<\/a>/);
  t.regex(page.html, /<td>blog<\/td><td>local<\/td><td>admin<\/td><td class="nowrap">1\.00 h<\/td><td>web 1\.00 h<\/td><td class="nowrap">0\.01 USD<\/td>/);
  t.regex(page.html, /<td>local<\/td><td class="nowrap">2\.00 h<\/td><td>app \(null, no price\) 1\.00 h, router \(null, no price\) 1\.00 h<\/td>/);
  t.regex(page.html, /href="\/usage\.csv\?month=2026-11&amp;by=app"/);
  const csv = await ui.get('/usage.csv?month=2026-11&by=cluster');
  t.is(csv.status, 200);
  t.regex(csv.html, /^month,cluster,destroyed,role,instance_type/);
  const bad = await ui.get('/usage?month=2026-13');
  t.is(bad.status, 400);
  t.regex(bad.html, /is not a valid month/);

  await must(s, 'POST', '/api/users', { name: 'vera' });
  await must(s, 'POST', '/api/access', { user: 'vera', app: 'blog', role: 'viewer' });
  const vera = await uiLogin(s.url, await createToken(s.scalarium.db, (await findUserByName(s.scalarium.db, 'vera'))!.id, { name: 'usage-ui' }));
  const hers = await vera.get('/usage');
  t.regex(hers.html, /<td>blog<\/td>/);
  t.false(hers.html.includes('shop'));
  t.regex(hers.html, /No instance of a cluster you may see ran this month/);
  t.false((await vera.get('/usage.csv?by=app')).html.includes('shop'));
});
