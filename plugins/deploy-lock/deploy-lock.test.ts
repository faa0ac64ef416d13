// The deploy lock on the real server in-process (null provider): the real git client is refused while
// the app is locked, the API and UI deploys too; rollbacks are not; the CLI and the UI tab work.
import test from 'ava';
import { createTestScalarium, type TestScalarium } from '../../test/helpers/harness.ts';
import { authedGitUrl, createAppRepo, setResponse, type AppRepo } from '../../test/helpers/app-repo.ts';
import { uiLogin } from '../../test/helpers/ui-client.ts';
import { cli, loggedIn } from '../../cli/test-support.ts';

async function appWithRepo(t: import('ava').ExecutionContext, s: TestScalarium, name: string): Promise<AppRepo> {
  t.is((await s.api('POST', '/api/apps', { name })).status, 201);
  const repo = await createAppRepo('node-hello');
  t.teardown(() => repo.cleanup());
  return repo;
}

test('a locked app refuses pushes and API deploys of new code, says why and how to unlock; rollback still works', async (t) => {
  const s = await createTestScalarium();
  t.teardown(() => s.close());
  const repo = await appWithRepo(t, s, 'shop');
  const url = authedGitUrl(s.url, 'shop', s.token);
  t.is((await repo.push(url)).code, 0);
  setResponse(repo, 'hello from v2');
  await repo.commit('v2');
  t.is((await repo.push(url)).code, 0);

  t.deepEqual((await s.api('GET', '/api/apps/shop/deploy-lock')).body, { app: 'shop', locked: false });
  const locked = await s.api('PUT', '/api/apps/shop/deploy-lock', { reason: 'release freeze until Monday' });
  t.is(locked.status, 200);
  t.like(locked.body, { app: 'shop', locked: true, reason: 'release freeze until Monday', lockedBy: 'admin' });

  setResponse(repo, 'hello from v3');
  await repo.commit('v3');
  const refused = await repo.push(url);
  t.not(refused.code, 0);
  t.regex(refused.output, /Push rejected: deploys of shop are locked by admin since .*: release freeze until Monday\. Unlock with `scalarium apps:unlock --app shop`/);
  const viaApi = await s.api('POST', '/api/apps/shop/deploy', { commit: 'main' });
  t.is(viaApi.status, 409);
  t.regex(viaApi.body.error.message, /^Deploy refused: deploys of shop are locked/);
  t.is((await s.api('GET', '/api/apps/shop/releases')).body.length, 2, 'nothing was released');

  // Getting out of trouble during a freeze: a rollback is not new code.
  const back = await s.api('POST', '/api/apps/shop/rollback', { version: 1 });
  t.is(back.status, 201, JSON.stringify(back.body));
  t.like(back.body, { version: 3, description: 'Rollback to v1' });

  const audit = (await s.api('GET', '/api/audit?action=app.lock')).body as Array<{ actor: string; target: string }>;
  t.like(audit[0], { actor: 'admin', target: 'shop' });

  t.deepEqual((await s.api('DELETE', '/api/apps/shop/deploy-lock')).body, { app: 'shop', locked: false });
  t.is((await repo.push(url)).code, 0, 'unlocked, the push goes live');
});

test('bad reasons are refused with what to do; the lock goes with the app', async (t) => {
  const s = await createTestScalarium();
  t.teardown(() => s.close());
  await appWithRepo(t, s, 'shop');
  for (const reason of ['x'.repeat(201), 'two\nlines', 42]) {
    const res = await s.api('PUT', '/api/apps/shop/deploy-lock', { reason });
    t.is(res.status, 400);
    t.regex(res.body.error.message, /reason must be one line of text, at most 200 characters/);
  }
  t.is((await s.api('PUT', '/api/apps/shop/deploy-lock', [])).status, 400);
  t.is((await s.api('PUT', '/api/apps/nope/deploy-lock', {})).status, 404);
  t.like((await s.api('PUT', '/api/apps/shop/deploy-lock', {})).body, { locked: true, reason: 'no reason given' });
  t.is((await s.api('DELETE', '/api/apps/shop?confirm=shop')).status, 204);
  t.is((await s.scalarium.db('deploy_locks')).length, 0, 'the row went with the app');
});

test('the CLI locks, shows and unlocks', async (t) => {
  const s = await createTestScalarium();
  t.teardown(() => s.close());
  await appWithRepo(t, s, 'shop');
  const opts = await loggedIn(t, { server: s });
  const lock = await cli(['apps:lock', '--app', 'shop', '--reason', 'freeze'], opts);
  t.is(lock.code, 0, lock.stderr);
  t.regex(lock.stdout, /Deploys of shop are locked by admin since .*: freeze/);
  const shown = await cli(['apps:lock-status', '--app', 'shop', '--json'], opts);
  t.like(JSON.parse(shown.stdout), { locked: true, reason: 'freeze' });
  const unlock = await cli(['apps:unlock', '--app', 'shop'], opts);
  t.is(unlock.stdout.trim(), 'Deploys of shop are unlocked.');
  t.is((await cli(['apps:lock', '--app', 'shop', 'extra'], opts)).code, 2, 'a usage error');
});

test('the UI: a tab on the app\'s pages, a page with the lock, and forms to lock and unlock', async (t) => {
  const s = await createTestScalarium();
  t.teardown(() => s.close());
  await appWithRepo(t, s, 'shop');
  const ui = await uiLogin(s.url, s.token);
  const overview = await ui.get('/apps/shop');
  // After the overview, among the tabs other plugins add (monitoring's Metrics).
  t.regex(overview.html, /<nav class="tabs" aria-label="Pages of shop"><a href="\/apps\/shop" aria-current="page">Overview<\/a>(<a href="[^"]+">[^<]+<\/a>)*<a href="\/apps\/shop\/deploy-lock">Deploy lock<\/a>/);

  t.regex((await ui.get('/apps/shop/deploy-lock')).html, /<strong>Unlocked<\/strong>/);
  const locked = await ui.post('/apps/shop/deploy-lock', { reason: '<b>freeze</b>' });
  t.is(locked.status, 303);
  const page = await ui.get(locked.location!);
  t.regex(page.html, /Deploys of shop are locked/);
  t.regex(page.html, /<strong>Locked<\/strong> by admin since .*: &lt;b&gt;freeze&lt;\/b&gt;<\/p>/, 'the reason is escaped');
  const unlocked = await ui.post('/apps/shop/deploy-lock/remove', {});
  t.is(unlocked.status, 303);
  t.regex((await ui.get('/apps/shop/deploy-lock')).html, /<strong>Unlocked<\/strong>/);
  t.is((await ui.get('/apps/nope/deploy-lock')).status, 404);
});
