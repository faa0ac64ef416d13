// A feature is its plugin folder: with any one built-in plugin left out of the list, the server
// still starts and the rest works, and what that plugin contributed (routes, pages, providers,
// hook taps) is gone. The real server, in-process, on the null provider (test/helpers/harness.ts).
import test from 'ava';
import { builtinPlugins } from '../../plugins/builtin.ts';
import { createTestScalarium, type TestScalarium } from '../helpers/harness.ts';

const ALL = builtinPlugins().map((p) => p.name);

/** What is gone without the plugin, asserted on the running server. */
const GONE: Record<string, (t: import('ava').ExecutionContext, s: TestScalarium) => Promise<void>> = {
  async timings(t, s) {
    t.is((await s.api('GET', '/api/hooks/timings')).status, 404);
  },
  async access(t, s) {
    // Nobody is authenticated without it: the API answers 401, the UI has no log-in page.
    t.is((await s.api('GET', '/api/apps')).status, 401);
    t.is((await fetch(`${s.url}/login`)).status, 404);
  },
  async logging(t, s) {
    t.is((await s.api('GET', '/api/apps/shop/logs')).status, 404);
    t.false(s.scalarium.hooks.processChanged.taps.some((tap) => tap.name === 'logging'), 'process changes are said nowhere');
    t.false(s.scalarium.hooks.appNav.call([], { app: 'shop', viewer: { user: 'admin', admin: true } }).some((item) => item.label === 'Logs'), 'no Logs tab');
  },
  async 'provider-local'(t, s) {
    t.false(s.scalarium.providers.has('local'));
    t.is(s.scalarium.defaultCluster, undefined, 'no default cluster: every app names its own');
    const unnamed = await s.api('POST', '/api/apps', { name: 'nowhere' });
    t.is(unnamed.status, 400);
    t.regex(unnamed.body.error.message, /no default cluster: name one with --cluster/);
  },
  async 'provider-ec2'(t, s) {
    t.false(s.scalarium.providers.has('ec2'));
    const created = await s.api('POST', '/api/clusters', { name: 'prod', provider: 'ec2', settings: {} });
    t.is(created.status, 400, JSON.stringify(created.body));
    t.regex(created.body.error.message, /no provider "ec2" is loaded \(local, simulated, null\)/);
  },
  async 'provider-simulated'(t, s) {
    t.false(s.scalarium.providers.has('simulated'));
    const created = await s.api('POST', '/api/clusters', { name: 'fleet', provider: 'simulated', settings: {} });
    t.is(created.status, 400, JSON.stringify(created.body));
    t.regex(created.body.error.message, /no provider "simulated" is loaded \(local, ec2, null\)/);
  },
  async buildpacks(t, s) {
    t.is(s.scalarium.hooks.detect.taps.length, 0, 'no builder claims any source');
  },
  async procfile(t, s) {
    t.false(s.scalarium.hooks.release.taps.some((tap) => tap.name === 'procfile'));
  },
  async routing(t, s) {
    t.false(s.scalarium.hooks.configure.taps.some((tap) => tap.name === 'routing'));
  },
  async 'instance-access'(t, s) {
    t.false(s.scalarium.hooks.configure.taps.some((tap) => tap.name === 'instance-access'));
  },
  async lifecycle(t, s) {
    t.false(s.scalarium.hooks.configure.taps.some((tap) => tap.name === 'lifecycle'));
  },
  async 'deploy-lock'(t, s) {
    t.is((await s.api('GET', '/api/apps/shop/deploy-lock')).status, 404);
    t.is(s.scalarium.hooks.receive.taps.length, 0, 'nothing vetoes a push');
    t.false(await s.scalarium.db.schema.hasTable('deploy_locks'), 'its migration did not run');
  },
  async monitoring(t, s) {
    t.is((await s.api('GET', '/api/apps/shop/metrics')).status, 404);
    t.false(s.scalarium.hooks.metrics.taps.some((tap) => tap.name === 'monitoring'), 'metrics reports are not stored');
    t.is(await s.scalarium.hooks.metricValue.promise({ metric: 'p95_ms', scope: { app: 'shop' }, windowMs: 60_000 }), undefined, 'nobody answers for metrics');
    t.false(await s.scalarium.db.schema.hasTable('metric_points'), 'its migration did not run');
  },
  async 'log-drains'(t, s) {
    t.is((await s.api('GET', '/api/apps/shop/drains')).status, 404);
    t.false(s.scalarium.hooks.log.taps.some((tap) => tap.name === 'log-drains'), 'log lines go to no drain');
    t.false(await s.scalarium.db.schema.hasTable('log_drains'), 'its migration did not run');
  },
  async rollout(t, s) {
    t.is(s.scalarium.hooks.deploy.taps.length, 0, 'nothing starts processes');
  },
  async alerting(t, s) {
    t.is((await s.api('GET', '/api/apps/shop/alerts')).status, 404);
    t.is((await s.api('GET', '/api/notifiers')).status, 404);
    t.false(s.scalarium.hooks.deployFailed.taps.some((tap) => tap.name === 'alerting'), 'a failed deploy alerts nobody');
    t.false(await s.scalarium.db.schema.hasTable('alert_rules'), 'its migration did not run');
  },
  async prometheus(t, s) {
    t.is((await fetch(`${s.url}/metrics`, { headers: { Authorization: `Bearer ${s.token}` } })).status, 404);
    t.false(s.scalarium.hooks.httpRequest.taps.some((tap) => tap.name === 'prometheus'));
  },
  async 'notify-webhook'(t, s) {
    t.false(s.scalarium.hooks.notifierKinds.call([]).some((kind) => kind.kind === 'webhook'), 'alerts cannot go to a webhook');
  },
  async 'notify-email'(t, s) {
    t.false(s.scalarium.hooks.notifierKinds.call([]).some((kind) => kind.kind === 'email'), 'alerts cannot go by email');
  },
  async accounting(t, s) {
    t.is((await s.api('GET', '/api/usage')).status, 404);
    t.false(s.scalarium.hooks.processChanged.taps.some((tap) => tap.name === 'accounting'), 'nobody keeps intervals');
    t.false(await s.scalarium.db.schema.hasTable('usage_intervals'), 'its migration did not run');
  },
  async healing(t, s) {
    t.is((await s.api('GET', '/api/clusters/local/healing')).status, 404);
    t.false(s.scalarium.hooks.reconcile.taps.some((tap) => tap.name === 'healing'), 'nobody replaces silent instances');
    t.false(await s.scalarium.db.schema.hasTable('healing_events'), 'its migration did not run');
  },
  async autoscaling(t, s) {
    t.is((await s.api('GET', '/api/clusters/local/autoscale')).status, 404);
    t.is((await s.api('GET', '/api/apps/shop/autoscale')).status, 404);
    t.false(s.scalarium.hooks.reconcile.taps.some((tap) => tap.name === 'autoscaling'), 'nothing sets role counts');
    t.false(await s.scalarium.db.schema.hasTable('autoscale_policies'), 'its migration did not run');
  },
};

test('every built-in plugin has a check of what is gone without it', (t) => {
  t.deepEqual(Object.keys(GONE).sort(), [...ALL].sort());
});

for (const left of ALL) {
  test(`without ${left} the server starts and the rest works`, async (t) => {
    const s = await createTestScalarium({ plugins: builtinPlugins().filter((p) => p.name !== left) });
    t.teardown(() => s.close());
    t.false(s.scalarium.hooks.routes.taps.some((tap) => tap.name === left) || s.scalarium.hooks.pages.taps.some((tap) => tap.name === left));

    if (left !== 'access') {
      t.is((await s.api('GET', '/api/status')).status, 200);
      const created = await s.api('POST', '/api/apps', { name: 'shop', cluster: 'local' });
      t.is(created.status, 201, JSON.stringify(created.body));
      const release = await s.deployFakeRelease('shop', { processTypes: { web: 'node server.js' } });
      t.is(release.version, 1);
      const releases = (await s.api('GET', '/api/apps/shop/releases')).body as Array<{ version: number }>;
      t.deepEqual(releases.map((r) => r.version), [1]);
      t.is((await fetch(`${s.url}/login`)).status, 200, 'the UI still serves');
    }
    await GONE[left]!(t, s);
  });
}
