// scalarium deploy against the real server in-process: a release again, and a local tarball
// uploaded, built by the real buildpack and rolled out (both sent without a client-side timeout).
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { cli, loggedIn, must, ROOT, shopAndBlog } from './test-support.ts';

test('deploy --release deploys an earlier release again; deploy --file uploads a tarball that is built and released', async (t) => {
  const api = await loggedIn(t);
  await shopAndBlog(api.server);
  const opts = { env: api.env, cwd: api.cwd };

  const again = await cli(['deploy', '--release', 'v1', '-a', 'shop'], opts);
  t.is(again.code, 0, again.stderr);
  t.is(again.stderr, 'Deploying v1 to shop... done, v3\n');
  t.regex(again.stdout, /^v3: /);

  const tarball = join(api.cwd, 'site.tgz');
  execFileSync('tar', ['-czf', tarball, '-C', join(ROOT, 'test', 'fixtures', 'apps', 'node-hello'), '.']);
  const uploaded = await cli(['deploy', '--file', 'site.tgz', '-a', 'shop'], opts);
  t.is(uploaded.code, 0, uploaded.stderr);
  t.regex(uploaded.stderr, /^Deploying site\.tgz \(0\.0M\) to shop\.\.\. done, v4\n$/);
  t.regex(uploaded.stdout, /^v4: Deploy archive:[0-9a-f]{12}\n$/);
  const release = await must<{ processTypes: Record<string, string>; current: boolean }>(api.server, 200, 'GET', '/api/apps/shop/releases/4');
  t.like(release, { processTypes: { web: 'node server.js' }, current: true });
});
