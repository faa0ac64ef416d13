// The deploy branch, as Heroku's own samples need it (they live on master): the first push of main
// or master decides; a push of the other branch is stored with a hint; `scalarium deploy` builds the
// deploy branch; `git:branch` shows and changes it, refusing a branch that is not at the live release.
// Real git pushes to the real server in this process (test/helpers/harness.ts), real builds.
import test from 'ava';
import { createTestScalarium } from '../helpers/harness.ts';
import { authedGitUrl, createAppRepo } from '../helpers/app-repo.ts';
import { cli, loggedIn } from '../../cli/test-support.ts';

test('a master repository: the first push of master makes it the deploy branch; deploy, the commit list and git:branch follow it', async (t) => {
  const server = await createTestScalarium();
  t.teardown(() => server.close());
  const api = await loggedIn(t, { server });
  const opts = { env: api.env, cwd: api.cwd };
  t.is((await server.api('POST', '/api/apps', { name: 'sample' })).status, 201);
  t.is((await server.api('GET', '/api/apps/sample')).body.deployBranch, 'main', 'main until a push decides');

  const repo = await createAppRepo('node-hello');
  t.teardown(() => repo.cleanup());
  await repo.git('branch', '-m', 'main', 'master');
  const remote = authedGitUrl(server.url, 'sample', server.token);
  const first = await repo.push(remote, 'master');
  t.is(first.code, 0, first.output);
  t.regex(first.output, /master is the deploy branch of sample/);
  t.regex(first.output, /Released v1/);
  const head = (await repo.git('rev-parse', 'HEAD')).stdout.trim();
  t.like((await server.api('GET', '/api/apps/sample')).body, { deployBranch: 'master', release: { version: 1, commit: head } });

  // `scalarium deploy` without --commit builds the deploy branch (it said "no commit main" before).
  const deployed = await cli(['deploy', '-a', 'sample'], opts);
  t.is(deployed.code, 0, deployed.stderr);
  t.regex(deployed.stdout, /\nv2: Deploy [0-9a-f]{7}\n$/);
  t.is((await server.api('GET', '/api/apps/sample/releases/2')).body.commit, head);
  const commits = (await server.api('GET', '/api/apps/sample/commits')).body as Array<{ sha: string; live: boolean }>;
  t.like(commits[0], { sha: head, live: true });

  // main is now just another branch: stored, with what to do.
  await repo.commit('on main');
  await repo.git('branch', 'main');
  const other = await repo.push(remote, 'main');
  t.is(other.code, 0, other.output);
  t.regex(other.output, /Stored\. Only pushes to master deploy sample\./);
  t.regex(other.output, /git push scalarium main:master, or make it the deploy branch: scalarium git:branch main --app sample/);
  t.is((await server.api('GET', '/api/apps/sample/releases')).body.length, 2, 'no release from main');

  t.is((await cli(['git:branch', '-a', 'sample'], opts)).stdout, 'master\n');
  // main is ahead of the live release: switching now would break "deploy branch = live release".
  const refused = await cli(['git:branch', 'main', '-a', 'sample'], opts);
  t.is(refused.code, 1);
  t.regex(refused.stderr, /main is at [0-9a-f]{7} but the live release is [0-9a-f]{7}: deploy it first \(scalarium deploy --commit main\)/);
  const bad = await cli(['git:branch', '../x', '-a', 'sample'], opts);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /deployBranch must be a branch name/);
  t.is((await server.api('PATCH', '/api/apps/sample', { name: 'other' })).status, 400, 'only the deploy branch can be changed here');

  const viaMaster = await cli(['deploy', '--commit', 'main', '-a', 'sample'], opts);
  t.is(viaMaster.code, 0, viaMaster.stderr);
  const switched = await cli(['git:branch', 'main', '-a', 'sample'], opts);
  t.is(switched.code, 0, switched.stderr);
  t.is(switched.stdout, 'Pushes to main deploy sample now.\n');
  await repo.git('checkout', '-q', 'main');
  await repo.commit('second on main');
  const now = await repo.push(remote, 'main');
  t.regex(now.output, /Released v4/);
  const audit = (await server.api('GET', '/api/audit?action=app.deploy-branch')).body as Array<{ target: string }>;
  t.is(audit.length, 1);
});
