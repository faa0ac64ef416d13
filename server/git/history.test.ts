// Repository reads with isomorphic-git against repositories the real git client wrote, and the
// commit list the API and the app page show.
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { recentCommits, resolveCommit } from './history.ts';
import { createTestScalarium } from '../../test/helpers/harness.ts';
import { authedGitUrl, createAppRepo } from '../../test/helpers/app-repo.ts';
import { uiLogin } from '../../test/helpers/ui-client.ts';

function repoWithCommits(t: import('ava').ExecutionContext): { bare: string; shas: string[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scalarium-history-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const work = path.join(dir, 'work');
  const bare = path.join(dir, 'app.git');
  const git = (cwd: string, ...args: string[]) => execFileSync('git', args, {
    cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'Ada', GIT_AUTHOR_EMAIL: 'ada@example.org', GIT_COMMITTER_NAME: 'Ada', GIT_COMMITTER_EMAIL: 'ada@example.org' },
  }).trim();
  execFileSync('git', ['init', '-q', '--bare', '--initial-branch=main', bare]);
  fs.mkdirSync(work);
  git(work, 'init', '-q', '--initial-branch=main');
  const shas: string[] = [];
  for (const message of ['first', 'second\n\nwith a body', 'third']) {
    git(work, 'commit', '-q', '--allow-empty', '-m', message);
    shas.push(git(work, 'rev-parse', 'HEAD'));
  }
  git(work, 'tag', '-a', 'v1', '-m', 'a release', shas[1]!);
  git(work, 'push', '-q', bare, 'main', 'v1');
  git(bare, 'gc', '-q'); // packed objects and refs, as a real repository has after a while
  return { bare, shas };
}

test('resolveCommit: a branch, a full or short id, an annotated tag (peeled); nothing else', async (t) => {
  const { bare, shas } = repoWithCommits(t);
  t.is(await resolveCommit(bare, 'main'), shas[2]);
  t.is(await resolveCommit(bare, 'refs/heads/main'), shas[2]);
  t.is(await resolveCommit(bare, shas[0]!), shas[0]);
  t.is(await resolveCommit(bare, shas[0]!.slice(0, 7)), shas[0]);
  t.is(await resolveCommit(bare, 'refs/tags/v1'), shas[1], 'the tag object is peeled to its commit');
  for (const missing of ['master', 'f'.repeat(40), 'deadbee', '../../HEAD', 'refs/heads/../../HEAD', '/etc/passwd', '']) t.is(await resolveCommit(bare, missing), undefined, missing);
  t.is(await resolveCommit(path.join(bare, 'nope'), 'main'), undefined);
});

test('recentCommits: newest first, first line of the message, author and date; [] before any push', async (t) => {
  const { bare, shas } = repoWithCommits(t);
  const commits = await recentCommits(bare, 'main', 2);
  t.deepEqual(commits.map((c) => [c.sha, c.message, c.author]), [[shas[2], 'third', 'Ada'], [shas[1], 'second', 'Ada']]);
  t.regex(commits[0]!.date, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'scalarium-history-empty-'));
  t.teardown(() => fs.rmSync(empty, { recursive: true, force: true }));
  execFileSync('git', ['init', '-q', '--bare', empty]);
  t.deepEqual(await recentCommits(empty, 'main', 10), []);
});

test('GET /api/apps/:app/commits and the app page list the commits of main, the live one marked, with deploy buttons', async (t) => {
  const s = await createTestScalarium();
  t.teardown(() => s.close());
  t.is((await s.api('POST', '/api/apps', { name: 'shop' })).status, 201);
  t.deepEqual((await s.api('GET', '/api/apps/shop/commits')).body, []);
  const repo = await createAppRepo('node-hello');
  t.teardown(() => repo.cleanup());
  const url = authedGitUrl(s.url, 'shop', s.token);
  t.is((await repo.push(url)).code, 0);
  const live = (await repo.git('rev-parse', 'HEAD')).stdout.trim();
  await repo.commit('<b>not live</b>');
  const next = (await repo.git('rev-parse', 'HEAD')).stdout.trim();
  // Stored without deploying: pushes to other branches do not deploy, and main follows only a deploy.
  await repo.git('push', '-q', url, 'main:refs/heads/main-next');
  t.deepEqual(((await s.api('GET', '/api/apps/shop/commits')).body as Array<{ sha: string; live: boolean }>).map((c) => [c.sha, c.live]), [[live, true]]);
  t.is((await repo.push(url)).code, 0);
  const commits = (await s.api('GET', '/api/apps/shop/commits?limit=1')).body as Array<{ sha: string; message: string; live: boolean }>;
  t.deepEqual(commits.map((c) => [c.sha, c.message, c.live]), [[next, '<b>not live</b>', true]]);

  const page = (await (await uiLogin(s.url, s.token)).get('/apps/shop')).html;
  t.regex(page, /<h2>Commits on <code>main<\/code><\/h2>/);
  t.regex(page, new RegExp(`<input type="hidden" name="commit" value="${live}">`), 'the older commit has a deploy button');
  t.regex(page, /&lt;b&gt;not live&lt;\/b&gt;/, 'messages are escaped');
});
