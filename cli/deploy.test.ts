// scalarium deploy against the real server in-process: a release again, and a local tarball
// uploaded, built by the real buildpack and rolled out, its output printed as it happens (sent
// without a client-side timeout); Ctrl-C stops following, not the deploy, and deploy:follow
// picks it up again.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { cli, loggedIn, must, ROOT, shopAndBlog } from './test-support.ts';

test('deploy --release deploys an earlier release again; deploy --file uploads a tarball that is built and released, printing the build as it runs', async (t) => {
  const api = await loggedIn(t);
  await shopAndBlog(api.server);
  const opts = { env: api.env, cwd: api.cwd };

  const again = await cli(['deploy', '--release', 'v1', '-a', 'shop'], opts);
  t.is(again.code, 0, again.stderr);
  t.is(again.stderr, 'Deploying v1 to shop...\n');
  t.regex(again.stdout, /\nv3: Rollback to v1\n$/);

  const tarball = join(api.cwd, 'site.tgz');
  execFileSync('tar', ['-czf', tarball, '-C', join(ROOT, 'test', 'fixtures', 'apps', 'node-hello'), '.']);
  const uploaded = await cli(['deploy', '--file', 'site.tgz', '-a', 'shop'], opts);
  t.is(uploaded.code, 0, uploaded.stderr);
  t.is(uploaded.stderr, 'Deploying site.tgz (0.0M) to shop...\n');
  // The build's own lines, then the rollout's, then the release.
  t.regex(uploaded.stdout, /^-----> Building shop \(archive:[0-9a-f]{12}\)\n[\s\S]*-----> Process types: web\n[\s\S]*-----> Launching\.\.\.\n[\s\S]*\nv4: Deploy archive:[0-9a-f]{12}\n$/);
  const release = await must<{ processTypes: Record<string, string>; current: boolean }>(api.server, 200, 'GET', '/api/apps/shop/releases/4');
  t.like(release, { processTypes: { web: 'node server.js' }, current: true });

  // --json: the release on stdout, the progress on stderr.
  const json = await cli(['deploy', '--release', 'v4', '-a', 'shop', '--json'], opts);
  t.is(json.code, 0, json.stderr);
  t.like(JSON.parse(json.stdout), { version: 5, description: 'Rollback to v4', current: true });
  t.regex(json.stderr, /^Deploying v4 to shop\.\.\.\n/);
});

test('Ctrl-C during a deploy leaves it running and says how to follow it; deploy:follow shows it from its first line to its release', async (t) => {
  const api = await loggedIn(t);
  await shopAndBlog(api.server);
  const opts = { env: api.env, cwd: api.cwd };
  // A rollout that waits for the test: the deploy is still running when the CLI is interrupted.
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  api.server.scalarium.hooks.deploy.tapPromise({ name: 'test-gate', stage: -1000 }, async ({ output }) => {
    output.line('-----> waiting at the test gate');
    await gate;
  });

  const controller = new AbortController();
  const interrupted = await cli(['deploy', '--release', 'v1', '-a', 'shop'], {
    ...opts, signal: controller.signal,
    onStdout: (written) => {
      if (written.includes('waiting at the test gate')) controller.abort();
    },
  });
  t.is(interrupted.code, 130, interrupted.stderr);
  const id = /scalarium deploy:follow ([0-9a-f]{12}) --app shop/.exec(interrupted.stderr)?.[1];
  t.truthy(id, interrupted.stderr);
  t.regex(interrupted.stderr, /▸ Interrupted\. The deploy goes on on the server\./);

  const listed = await cli(['deploys', '-a', 'shop'], opts);
  t.is(listed.code, 0, listed.stderr);
  t.regex(listed.stdout, new RegExp(`^ID +STATE +RELEASE +WHAT +BY +STARTED\\n${id} +running +- +v1 again +admin `));
  t.is((await must<unknown[]>(api.server, 200, 'GET', '/api/apps/shop/releases')).length, 2, 'no release yet');

  // Followed without an id (the running one), from its first line; the gate opens once it is followed.
  const following = cli(['deploy:follow', '-a', 'shop'], {
    ...opts,
    onStdout: (written) => {
      if (written.includes('waiting at the test gate')) open();
    },
  });
  const followed = await following;
  t.is(followed.code, 0, followed.stderr);
  t.regex(followed.stdout, /^-----> waiting at the test gate\n[\s\S]*v3: Rollback to v1\n$/);
  const after = await cli(['deploys', '-a', 'shop', '--json'], opts);
  t.like(JSON.parse(after.stdout)[0], { id, state: 'succeeded', version: 3 });

  const unknown = await cli(['deploy:follow', '0123456789ab', '-a', 'shop'], opts);
  t.is(unknown.code, 1);
  t.regex(unknown.stderr, /No deploy "0123456789ab" of this app on this server/);
  const none = await cli(['deploy:follow', '-a', 'shop'], opts);
  t.is(none.code, 1);
  t.regex(none.stderr, /No deploy of shop is running/);
});

test('a deploy that fails streams its failure with the reason and exits 1; bad requests are refused before anything starts', async (t) => {
  const api = await loggedIn(t);
  await shopAndBlog(api.server);
  const opts = { env: api.env, cwd: api.cwd };
  api.server.scalarium.hooks.deploy.tapPromise({ name: 'test-failure', stage: -1000 }, async ({ output }) => {
    output.line('-----> about to fail');
    throw new Error('the test made this rollout fail');
  });
  const failed = await cli(['deploy', '--release', 'v1', '-a', 'shop'], opts);
  t.is(failed.code, 1);
  t.regex(failed.stdout, /-----> about to fail\n/);
  t.regex(failed.stderr, /▸ .*the test made this rollout fail/);
  const missing = await cli(['deploy', '--release', 'v99', '-a', 'shop'], opts);
  t.is(missing.code, 1);
  t.regex(missing.stderr, /v99/);
  t.is((await cli(['deploys', '-a', 'shop', '--json'], opts)).stdout.match(/"id"/g)?.length, 1, 'the refused one never started');
});
