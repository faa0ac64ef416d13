// Alerting through the real server (in-process harness, real SQLite, real HTTP): rules checked and
// stored, metrics from the null provider's FAKE router and agent driving them pending → firing →
// resolved, one notification per transition, retries and failures of a notifier that is down, the
// built-in alerts (deploy failed, crash loop), and who may see and change what.
//
// The notifier kinds here are a plugin of this test's own: a RECORDING kind that keeps what it is
// sent (and can be told to fail or to hang) — the registry's contract, not a stand-in for the
// webhook and email notifiers, which have their tests (plugins/notify-*).
process.env.SCALARIUM_ALERT_INTERVAL = '0.2';
process.env.SCALARIUM_ALERT_WINDOW = '20';
process.env.SCALARIUM_NOTIFY_RETRY_BASE = '0.05';
process.env.SCALARIUM_NOTIFY_ATTEMPTS = '3';
process.env.SCALARIUM_NOTIFY_TIMEOUT = '0.5';

import test from 'ava';
import { until } from '../../cli/test-support.ts';
import { builtinPlugins } from '../builtin.ts';
import { createTestScalarium, type TestScalarium } from '../../test/helpers/harness.ts';
import { bucketIndex, createToken, findUserByName, type AlertNotification, type Plugin } from '../../server/plugin-api.ts';
import type { RuleView } from './service.ts';

interface Received { notifier: string; n: AlertNotification }
const received: Received[] = [];
/** notifier target → what it does: ok (records), fail (throws), hang (until the timeout aborts it) */
const behaviour = new Map<string, 'ok' | 'fail' | 'hang'>();
/** Apps whose deploys the test plugin fails (tests run at once: each names its own app). */
const failDeploysOf = new Set<string>();

const recordingNotifiers: Plugin = {
  name: 'test-recording-notifier',
  apply(scalarium) {
    scalarium.hooks.notifierKinds.tap('test', (kinds) => [...kinds, {
      kind: 'record', help: '--record TARGET',
      async settings(input) {
        if (typeof input.record !== 'string' || !input.record) throw new Error('record needs a target');
        return { target: input.record };
      },
      describe: (settings) => `recorder ${settings.target}`,
      async send(settings, n, signal) {
        const what = behaviour.get(settings.target!) ?? 'ok';
        if (what === 'fail') throw new Error(`${settings.target} is down`);
        if (what === 'hang') {
          await new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('timed out')), { once: true }));
        }
        received.push({ notifier: settings.target!, n });
      },
    }]);
    scalarium.hooks.deploy.tapPromise('test', async (deploy) => {
      if (failDeploysOf.has(deploy.app.name)) throw new Error('the test plugin fails this deploy');
    });
  },
};

let s: TestScalarium;

const ok = (answer: { status: number; body: unknown }) => {
  if (answer.status >= 300) throw new Error(`set-up request failed: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
};

/** The router tells of 100 requests that took `ms` each, in the 10 s interval that ended a moment ago. */
function traffic(app: string, ms: number, errors = 0): void {
  s.cloud.instance('local-router-1').metrics({
    at: new Date(Date.now() - 1000).toISOString(),
    routes: { [`${app}.localhost`]: { requests: 100, statuses: [0, 100 - errors, 0, 0, errors], bytes: 1000, latency: { counts: { [bucketIndex(ms)]: 100 }, sumMs: 100 * ms } } },
  });
}

const rules = async (app: string) => (await s.api('GET', `/api/apps/${app}/alerts`)).body as RuleView[];
const history = async (app: string) => (await s.api('GET', `/api/apps/${app}/alerts/history`)).body as Array<{ ruleId: number; state: string; title: string; deliveries: Array<{ notifier: string; status: string; attempts: number; error: string | null }> }>;

test.before(async () => {
  s = await createTestScalarium({ plugins: [...builtinPlugins(), recordingNotifiers] });
  for (const name of ['shop', 'blog', 'other']) ok(await s.api('POST', '/api/apps', { name }));
  await s.deployFakeRelease('shop', { processTypes: { web: 'node server.js', worker: 'node worker.js' } });
  ok(await s.api('PATCH', '/api/apps/shop/formation', { worker: 1 }));
  for (const [name, target] of [['pager', 'pager'], ['down', 'down'], ['slow', 'slow'], ['quick', 'quick']]) {
    ok(await s.api('POST', '/api/notifiers', { name, kind: 'record', record: target, default: name === 'pager' }));
  }
  behaviour.set('down', 'fail').set('slow', 'hang');
});

test.after.always(() => s?.close());

test('bad rules get a clear 400 and nothing is stored', async (t) => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ metric: 'p96_ms', above: 1 }, /no metric "p96_ms"[\s\S]*p95_ms/],
    [{ metric: 'p95_ms', above: 'abc' }, /threshold must be a number/],
    [{ metric: 'p95_ms', above: 1, below: 2 }, /threshold/],
    [{ metric: 'p95_ms' }, /threshold/],
    [{ metric: 'p95_ms', above: 1, for: '5x' }, /duration such as 30s, 5m or 1h/],
    [{ metric: 'p95_ms', above: 1, notify: 'nobody' }, /no notifier "nobody"/],
    [{ metric: 'load1', above: 1 }, /no metric "load1" for apps/],
    [{ metric: 'p95_ms', above: 1, role: 'app' }, /not a role or an instance/],
  ];
  for (const [body, message] of cases) {
    const { status, body: answer } = await s.api('POST', '/api/apps/blog/alerts', body);
    t.is(status, 400, JSON.stringify(body));
    t.regex(`${answer.error?.message} ${answer.error?.hint ?? ''}`, message, JSON.stringify(body));
  }
  t.deepEqual((await rules('blog')).filter((r) => !r.builtin), []);
  const cluster = await s.api('POST', '/api/clusters/local/alerts', { metric: 'p95_ms', above: 1 });
  t.is(cluster.status, 400);
  t.regex(cluster.body.error.message, /for clusters/);
});

test('p95 above 100 ms: firing with one message per notifier, then resolved once; a notifier that is down is retried, then marked failed; a hung one does not delay the others', async (t) => {
  const rule = ok(await s.api('POST', '/api/apps/shop/alerts', { metric: 'p95_ms', above: 100, for: '0', notify: 'quick,down,slow' })) as RuleView;
  t.like(rule, { metric: 'p95_ms', op: 'above', threshold: 100, state: 'ok', notify: ['quick', 'down', 'slow'] });
  t.regex(rule.summary, /p95_ms above 100 ms/);
  traffic('shop', 300);
  await until('the rule to fire', async () => (await rules('shop')).find((r) => r.id === rule.id)?.state === 'firing');
  await until('the quick notifier to get it', async () => received.some((r) => r.notifier === 'quick'));
  const [first] = (await history('shop')).filter((e) => e.ruleId === rule.id);
  t.like(first!.deliveries.find((d) => d.notifier === 'slow'), { status: 'sending', attempts: 0 }, 'the hung notifier is still at its first try');
  // The quick one was not held up by the hung one (which takes its 0.5 s timeout and its retries).
  const firing = received.filter((r) => r.notifier === 'quick');
  t.is(firing.length, 1);
  t.like(firing[0]!.n, { state: 'firing', rule: { id: rule.id, metric: 'p95_ms' } });
  t.regex(firing[0]!.n.title, /^FIRING app shop: p95_ms \d+ ms$/);
  const ofRule = async () => (await history('shop')).filter((e) => e.ruleId === rule.id);
  await until('the broken notifiers to run out of attempts', async () => {
    const [event] = await ofRule();
    return event?.deliveries.filter((d) => d.status === 'failed').length === 2;
  });
  const [event] = await ofRule();
  t.is(event!.state, 'firing');
  t.deepEqual(event!.deliveries.map((d) => `${d.notifier} ${d.status} ${d.attempts}`).sort(), ['down failed 3', 'quick sent 1', 'slow failed 3']);
  t.regex(event!.deliveries.find((d) => d.notifier === 'down')!.error!, /down is down/);
  t.true(s.output().includes('could not be sent to down after 3 attempts'));

  // More slow traffic changes nothing: still firing, nothing more sent.
  traffic('shop', 300);
  await new Promise((resolve) => setTimeout(resolve, 600));
  t.is(received.filter((r) => r.notifier === 'quick').length, 1);

  // Fast traffic in the next interval: resolved, told once.
  await new Promise((resolve) => setTimeout(resolve, 10_000 - (Date.now() % 10_000) + 50));
  traffic('shop', 10);
  await until('the rule to resolve', async () => (await rules('shop')).find((r) => r.id === rule.id)?.state === 'ok', 30_000);
  await until('the resolution to be told', async () => received.filter((r) => r.notifier === 'quick').length === 2);
  t.like(received.filter((r) => r.notifier === 'quick')[1]!.n, { state: 'resolved' });
  t.deepEqual((await ofRule()).map((e) => e.state), ['resolved', 'firing']);
  ok(await s.api('DELETE', `/api/apps/shop/alerts/${rule.id}`));
  t.falsy((await rules('shop')).find((r) => r.id === rule.id));
});

test('built-in: a failed deploy fires deploy_failed to the default notifier; the next deploy that goes live resolves it', async (t) => {
  failDeploysOf.add('other');
  await t.throwsAsync(s.deployFakeRelease('other', { processTypes: { web: 'node server.js' } }));
  failDeploysOf.delete('other');
  await until('the deploy_failed alert', async () => received.some((r) => r.notifier === 'pager' && r.n.title.includes('app other: deploy failed')));
  const builtin = (await rules('other')).find((r) => r.builtin === 'deploy_failed')!;
  t.is(builtin.state, 'firing');
  t.deepEqual(builtin.subjects.map((x) => x.subject), ['other']);
  // Not a word of it on another app's page.
  t.is((await rules('blog')).find((r) => r.builtin === 'deploy_failed')!.state, 'ok');
  await s.deployFakeRelease('other', { processTypes: { web: 'node server.js' } });
  await until('the resolution', async () => received.some((r) => r.notifier === 'pager' && r.n.state === 'resolved' && r.n.title.includes('other')));
  t.is((await rules('other')).find((r) => r.builtin === 'deploy_failed')!.state, 'ok');
});

test('built-in: a burst of crashes of one process type sends one crash-loop message; turned off, none', async (t) => {
  const agent = [...s.cloud.instances.values()].find((i) => [...i.processes.values()].some((p) => p.app === 'shop' && p.type === 'worker'))!;
  const worker = [...agent.processes.values()].find((p) => p.app === 'shop' && p.type === 'worker')!;
  const before = received.filter((r) => r.n.title.includes('crash in a loop')).length;
  for (let k = 1; k <= 30; k++) agent.report(worker.id, { state: k % 2 ? 'crashed' : 'starting', restarts: k, reason: 'exit 1' });
  await until('the crash loop alert', async () => received.filter((r) => r.n.title.includes('worker processes crash in a loop')).length > before);
  await new Promise((resolve) => setTimeout(resolve, 800));
  t.is(received.filter((r) => r.n.title.includes('crash in a loop')).length, before + 1);
  t.is((await rules('shop')).find((r) => r.builtin === 'crash_loop')!.state, 'firing');

  const off = await s.api('PUT', '/api/alerts/builtin/crash_loop', { enabled: false });
  t.is(off.status, 200);
  t.false(off.body.enabled);
  t.is((await rules('shop')).find((r) => r.builtin === 'crash_loop')!.subjects.length, 0);
  for (let k = 31; k <= 40; k++) agent.report(worker.id, { state: 'crashed', restarts: k });
  await new Promise((resolve) => setTimeout(resolve, 800));
  t.is(received.filter((r) => r.n.title.includes('crash in a loop')).length, before + 1);
  ok(await s.api('PUT', '/api/alerts/builtin/crash_loop', { enabled: true }));
});

test('who may do what: a viewer reads, only a manager adds and removes, a token of another app sees nothing, only an admin adds notifiers; secrets never shown', async (t) => {
  const admin = await findUserByName(s.scalarium.db, 'admin');
  ok(await s.api('POST', '/api/users', { name: 'vera' }));
  ok(await s.api('POST', '/api/access', { user: 'vera', app: 'blog', role: 'viewer' }));
  ok(await s.api('POST', '/api/users', { name: 'mona' }));
  ok(await s.api('POST', '/api/access', { user: 'mona', app: 'blog', role: 'manager' }));
  const vera = await createToken(s.scalarium.db, (await findUserByName(s.scalarium.db, 'vera'))!.id, { name: 't' });
  const mona = await createToken(s.scalarium.db, (await findUserByName(s.scalarium.db, 'mona'))!.id, { name: 't' });
  const shopDeployer = await createToken(s.scalarium.db, admin!.id, { name: 'shop-deployer', scope: { kind: 'app', name: 'shop' }, role: 'deployer' });

  t.is((await s.api('GET', '/api/apps/blog/alerts', undefined, vera)).status, 200);
  t.is((await s.api('POST', '/api/apps/blog/alerts', { metric: 'p95_ms', above: 1 }, vera)).status, 403);
  const added = await s.api('POST', '/api/apps/blog/alerts', { metric: 'p95_ms', above: 1 }, mona);
  t.is(added.status, 201);
  t.is((await s.api('DELETE', `/api/apps/blog/alerts/${added.body.id}`, undefined, vera)).status, 403);
  t.is((await s.api('DELETE', `/api/apps/shop/alerts/${added.body.id}`)).status, 404, 'a rule is removed only through its own app');
  t.is((await s.api('DELETE', `/api/apps/blog/alerts/${added.body.id}`, undefined, mona)).status, 204);

  for (const path of ['/api/apps/blog/alerts', '/api/apps/blog/alerts/history']) t.is((await s.api('GET', path, undefined, shopDeployer)).status, 404);
  t.is((await s.api('POST', '/api/apps/shop/alerts', { metric: 'p95_ms', above: 1 }, shopDeployer)).status, 403);
  t.is((await s.api('POST', '/api/notifiers', { name: 'x', kind: 'record', record: 'x' }, mona)).status, 403);
  t.is((await s.api('DELETE', '/api/notifiers/quick', undefined, mona)).status, 403);
  t.is((await s.api('PUT', '/api/alerts/builtin/error_rate', { enabled: false }, mona)).status, 403);
  const list = (await s.api('GET', '/api/notifiers', undefined, vera)).body as Array<Record<string, unknown>>;
  t.deepEqual(Object.keys(list[0]!).sort(), ['createdAt', 'createdBy', 'default', 'kind', 'name', 'sendsTo']);
  t.true(list.every((n) => n.sendsTo === '(shown to admins)'), 'where notifiers send is the admins\' to know');
  t.true(((await s.api('GET', '/api/notifiers')).body as Array<{ sendsTo: string }>).some((n) => n.sendsTo === 'recorder quick'));
  // The settings are sealed at rest: the target is nowhere in the table in clear.
  const stored = await s.scalarium.db('alert_notifiers').where({ name: 'quick' }).first();
  t.false(JSON.stringify(stored.settings).includes('quick'));
  const audit = await s.scalarium.db('audit').whereIn('action', ['alert.add', 'alert.remove', 'notifier.add']).select('action', 'actor');
  t.true(audit.some((a: { action: string; actor: string }) => a.action === 'alert.add' && a.actor === 'mona'));
  t.true(audit.some((a: { action: string; actor: string }) => a.action === 'notifier.add' && a.actor === 'admin'));
});

test('a notifier in use cannot be removed; an unknown kind or a taken name is refused', async (t) => {
  const rule = ok(await s.api('POST', '/api/apps/blog/alerts', { metric: 'error_rate_percent', above: 5, for: '5m', notify: 'quick' })) as RuleView;
  const removing = await s.api('DELETE', '/api/notifiers/quick');
  t.is(removing.status, 409);
  t.regex(removing.body.error.message, new RegExp(`rule\\(s\\) ${rule.id}`));
  t.is((await s.api('POST', '/api/notifiers', { name: 'quick', kind: 'record', record: 'x' })).status, 409);
  const unknown = await s.api('POST', '/api/notifiers', { name: 'pd', kind: 'pagerduty' });
  t.is(unknown.status, 400);
  t.regex(unknown.body.error.hint, /record/);
  ok(await s.api('DELETE', `/api/apps/blog/alerts/${rule.id}`));
});

test('a destroyed app takes its rules, states and history along: a new app of the name starts clean; rules per app are bounded', async (t) => {
  ok(await s.api('POST', '/api/apps', { name: 'temp' }));
  failDeploysOf.add('temp');
  await t.throwsAsync(s.deployFakeRelease('temp', { processTypes: { web: 'node server.js' } }));
  failDeploysOf.delete('temp');
  await until('the alert', async () => (await history('temp')).length === 1);
  ok(await s.api('POST', '/api/apps/temp/alerts', { metric: 'p99_ms', above: 1000 }));
  t.is((await s.api('DELETE', '/api/apps/temp', { confirm: 'temp' })).status, 204);
  ok(await s.api('POST', '/api/apps', { name: 'temp' }));
  t.deepEqual(await history('temp'), []);
  const fresh = await rules('temp');
  t.deepEqual(fresh.filter((r) => !r.builtin), []);
  t.is(fresh.find((r) => r.builtin === 'deploy_failed')!.state, 'ok');

  for (let k = 0; k < 50; k++) ok(await s.api('POST', '/api/apps/temp/alerts', { metric: 'p99_ms', above: 1000 + k }));
  const one = await s.api('POST', '/api/apps/temp/alerts', { metric: 'p99_ms', above: 1 });
  t.is(one.status, 409);
  t.is(one.body.error.code, 'alerting.too_many_rules');
});

test('a viewer sees that a delivery failed, not what the notifier said (it names where it sends)', async (t) => {
  ok(await s.api('POST', '/api/users', { name: 'val' }));
  ok(await s.api('POST', '/api/apps', { name: 'quiet' }));
  ok(await s.api('POST', '/api/access', { user: 'val', app: 'quiet', role: 'viewer' }));
  const val = await createToken(s.scalarium.db, (await findUserByName(s.scalarium.db, 'val'))!.id, { name: 'history' });
  const rule = ok(await s.api('POST', '/api/apps/quiet/alerts', { metric: 'requests_per_second', below: 1, notify: 'down' })) as RuleView;
  await until('the delivery to fail for good', async () => (await history('quiet')).some((e) => e.ruleId === rule.id && e.deliveries[0]?.status === 'failed'));
  const asAdmin = (await history('quiet')).find((e) => e.ruleId === rule.id)!;
  t.regex(asAdmin.deliveries[0]!.error!, /down is down/);
  const asViewer = ((await s.api('GET', '/api/apps/quiet/alerts/history', undefined, val)).body as typeof asAdmin[]).find((e) => e.ruleId === rule.id)!;
  t.is(asViewer.deliveries[0]!.status, 'failed');
  t.false(asViewer.deliveries[0]!.error!.includes('down is down'));
  ok(await s.api('DELETE', `/api/apps/quiet/alerts/${rule.id}`));
});
