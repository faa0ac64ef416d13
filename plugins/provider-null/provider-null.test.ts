// The null provider on the real server (test/helpers/harness.ts): its fake instances go through the
// real lifecycle and protocol, run nothing, and follow the script a test gives them.
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestScalarium } from '../../test/helpers/harness.ts';
import { listEventRuns } from '../../server/db/clusters.ts';
import { findCluster } from '../../server/db/instances.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function server(t: import('ava').ExecutionContext) {
  const s = await createTestScalarium();
  t.teardown(() => s.close());
  return s;
}

const until = async (what: string, check: () => Promise<boolean> | boolean) => {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

test('the default cluster\'s instances are fakes that went through setup; nothing was spawned', async (t) => {
  const s = await server(t);
  const local = (await s.api('GET', '/api/clusters/local')).body;
  t.like(local, { provider: 'null', instances: [{ id: 'local-app-1', state: 'online', connected: true }, { id: 'local-router-1', state: 'online', connected: true }] });
  const runs = await listEventRuns(s.scalarium.db, (await findCluster(s.scalarium.db, 'local'))!.id);
  t.true(runs.some((r) => r.event === 'setup' && r.instanceId === 'local-app-1' && r.status === 'succeeded'), 'the real setup event ran');
  // the local provider keeps each instance's pid file and log under <data>/instances: there is none
  t.false(fs.existsSync(path.join(s.scalarium.config.dataDir, 'instances')));
  t.is(s.scalarium.hub.peer('local-app-1')?.pid, 0, 'no process of its own');
});

test('a deploy "runs" processes: ready, on no port, and the fake router gets the table', async (t) => {
  const s = await server(t);
  t.is((await s.api('POST', '/api/apps', { name: 'shop' })).status, 201);
  await s.deployFakeRelease('shop', { processTypes: { web: 'node server.js', worker: 'node worker.js' } });
  t.is((await s.api('PATCH', '/api/apps/shop/formation', { web: 2, worker: 1 })).status, 200);
  const ps = (await s.api('GET', '/api/apps/shop/ps')).body as Array<{ name: string; state: string; port: number | null; routed: boolean }>;
  t.deepEqual(ps.map((p) => [p.name, p.state, p.port, p.routed]), [['web.1', 'ready', null, true], ['web.2', 'ready', null, true], ['worker.1', 'ready', null, false]]);
  t.is(s.cloud.instance('local-app-1').processes.size, 3);
  // nothing listens, so the router has no backend to send shop's traffic to
  t.deepEqual(s.cloud.instance('local-router-1').table?.routes, { 'shop.localhost': [] });

  t.is((await s.api('PATCH', '/api/apps/shop/formation', { web: 0, worker: 0 })).status, 200);
  t.is(s.cloud.instance('local-app-1').processes.size, 0, 'stopped processes are gone');
});

test('the script fails a boot, holds one at a step, and makes app hooks print', async (t) => {
  const s = await server(t);
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  s.cloud.script = {
    boot(instance, step) {
      if (instance.id === 'prod-router-1' && step === 'booting') throw new Error('no capacity in the fake cloud');
      if (instance.id === 'prod-app-1' && step === 'requested') return held;
    },
    event: (_instance, event) => (event === 'configure' ? [{ app: 'shop', ran: true, ok: true, output: 'configured\n' }] : []),
  };
  t.is((await s.api('POST', '/api/clusters', { name: 'prod', provider: 'null', roles: { app: 1, router: 1 } })).status, 201);
  const instances = async () => Object.fromEntries(((await s.api('GET', '/api/clusters/prod')).body.instances as Array<{ id: string; state: string; failure: string | null }>)
    .map((i) => [i.id, `${i.state}${i.failure ? `: ${i.failure}` : ''}`]));
  await until('the router to fail', async () => (await instances())['prod-router-1'] === 'failed: no capacity in the fake cloud');
  t.is((await instances())['prod-app-1'], 'requested', 'held at its first step');
  release();
  await until('the app instance to come online', async () => (await instances())['prod-app-1'] === 'online');
  const prod = (await findCluster(s.scalarium.db, 'prod'))!;
  // coming online is a membership change: configure runs on it, and its "app hook" output is kept
  await until('the configure run', async () => (await listEventRuns(s.scalarium.db, prod.id)).some((r) => r.event === 'configure' && r.status !== 'running'));
  t.like((await listEventRuns(s.scalarium.db, prod.id)).find((r) => r.event === 'configure'), { instanceId: 'prod-app-1', status: 'succeeded', output: '[shop] configured\n' });

  // scaling down goes through the real shutdown: the event runs, the fake goes, the row is stopped
  t.is((await s.api('PATCH', '/api/clusters/prod/roles', { app: 0 })).status, 200);
  t.is((await instances())['prod-app-1'], 'stopped');
  t.false(s.cloud.instances.has('prod-app-1'));
  const after = await listEventRuns(s.scalarium.db, prod.id);
  t.true(after.some((r) => r.event === 'shutdown' && r.instanceId === 'prod-app-1'));
});

test('log lines are relayed, and kept only for apps the instance runs', async (t) => {
  const s = await server(t);
  for (const name of ['shop', 'blog']) t.is((await s.api('POST', '/api/apps', { name })).status, 201);
  await s.deployFakeRelease('shop', { processTypes: { web: 'node server.js' } });
  const agent = s.cloud.instance('local-app-1');
  agent.log('blog', 'web.1', 'not mine to speak for', '2026-11-28T10:00:00.000Z');
  agent.log('shop', 'web.1', 'listening', '2026-11-28T10:00:01.000Z');
  // After the platform's own lines about the deploy (plugins/logging/platform-events.ts), in Heroku's format.
  await until('the shop line', async () => ((await s.api('GET', '/api/apps/shop/logs')).body as string).endsWith('\n2026-11-28T10:00:01.000000+00:00 app[web.1]: listening\n'));
  t.is((await s.api('GET', '/api/apps/blog/logs')).body, '', 'the instance runs nothing of blog');
});

test('nothing outside the tests imports this plugin: deleting its folder removes the feature', (t) => {
  // An import or dynamic import of the folder; a comment naming the plugin is not a dependency.
  const IMPORTS_IT = /(?:from|import\()\s*['"][^'"]*provider-null[/'"]/;
  const imports: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (file.endsWith('.ts') && !file.endsWith('.test.ts') && IMPORTS_IT.test(fs.readFileSync(file, 'utf8'))) imports.push(path.relative(ROOT, file));
    }
  };
  for (const dir of ['server', 'plugins', 'cli', 'bin']) walk(path.join(ROOT, dir));
  t.deepEqual(imports.filter((f) => !f.startsWith(`plugins${path.sep}provider-null${path.sep}`)), []);
});
