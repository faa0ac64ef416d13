// The order in which the hooks of docs/hooks.md are called, recorded on the real server while the
// real git client pushes an app (built by the real buildpack; instances are the null provider's
// fakes), and the outcome hooks of a deploy that a plugin makes fail.
import test from 'ava';
import type { Hook } from 'tapable';
import { builtinPlugins } from '../../plugins/builtin.ts';
import type { Plugin, Scalarium } from '../../server/core/scalarium.ts';
import { STAGE } from '../../server/core/stages.ts';
import { createTestScalarium, type TestScalarium } from '../helpers/harness.ts';
import { authedGitUrl, createAppRepo } from '../helpers/app-repo.ts';

/** Every call of every hook, by name, in order (a HookMap's hooks as "build:<key>"). */
function recordHooks(scalarium: Scalarium): string[] {
  const calls: string[] = [];
  const watch = (name: string, hook: Hook<unknown, unknown>) => hook.intercept({ call: () => void calls.push(name) });
  for (const [name, hook] of Object.entries(scalarium.hooks)) {
    if (name === 'build') continue;
    watch(name, hook as unknown as Hook<unknown, unknown>);
  }
  watch('build:buildpack', scalarium.hooks.build.for('buildpack') as unknown as Hook<unknown, unknown>);
  return calls;
}

/** From the push's receive on, the calls of the named hooks only, runs of the same one folded into one. */
function sequence(calls: string[], names: string[]): string[] {
  return calls.slice(calls.indexOf('receive')).filter((c) => names.includes(c)).filter((c, i, all) => c !== all[i - 1]);
}

const PUSH_PATH = ['receive', 'detect', 'build:buildpack', 'release', 'deploy', 'configure', 'deployed', 'deployFailed'];

async function push(t: import('ava').ExecutionContext, s: TestScalarium, app: string) {
  t.is((await s.api('POST', '/api/apps', { name: app })).status, 201);
  const repo = await createAppRepo('node-hello');
  t.teardown(() => repo.cleanup());
  return repo.push(authedGitUrl(s.url, app, s.token));
}

test('a push calls receive, detect, build, release, deploy, configure and deployed, in that order', async (t) => {
  const s = await createTestScalarium();
  t.teardown(() => s.close());
  const calls = recordHooks(s.scalarium);

  const pushed = await push(t, s, 'shop');
  t.is(pushed.code, 0, pushed.output);
  // configure: the rollout switches the routers to the new processes before deployed is told.
  t.deepEqual(sequence(calls, PUSH_PATH), ['receive', 'detect', 'build:buildpack', 'release', 'deploy', 'configure', 'deployed']);
  t.true(calls.indexOf('authenticate') < calls.indexOf('receive'), 'the pusher is known before anything runs');
  t.true(calls.indexOf('authorize') < calls.indexOf('receive'));
  t.true(calls.lastIndexOf('audit') > calls.indexOf('deploy'), 'the push is audited once it is live');

  // What the built-in taps of deployed and audit did: the app's log says who pushed and what went live.
  const logs = (await s.api('GET', '/api/apps/shop/logs')).body as string;
  t.regex(logs, /scalarium\[deploy\]: Release v1 by admin is live: Deploy [0-9a-f]{7}/);
  t.regex(logs, /scalarium\[build\]: Push by admin/);
});

test('a deploy that a plugin fails calls deployFailed, not deployed; the push is rejected', async (t) => {
  const saboteur: Plugin = {
    name: 'saboteur',
    apply(scalarium) {
      // Before the rollout starts anything (its tap is at the normal stage).
      scalarium.hooks.deploy.tapPromise({ name: 'saboteur', stage: STAGE.defaults }, async () => {
        throw new Error('no room on any instance');
      });
    },
  };
  const s = await createTestScalarium({ plugins: [...builtinPlugins(), saboteur] });
  t.teardown(() => s.close());
  const calls = recordHooks(s.scalarium);

  const pushed = await push(t, s, 'shop');
  t.not(pushed.code, 0);
  t.regex(pushed.output, /no room on any instance/);
  t.deepEqual(sequence(calls, PUSH_PATH), ['receive', 'detect', 'build:buildpack', 'release', 'deploy', 'deployFailed']);
  t.deepEqual((await s.api('GET', '/api/apps/shop/releases')).body, [], 'no release: invariant 1');
  t.regex((await s.api('GET', '/api/apps/shop/logs')).body as string, /scalarium\[deploy\]: Release v1 by admin failed to deploy: no room on any instance/);
});
