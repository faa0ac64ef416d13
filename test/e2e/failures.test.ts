// Bad input and failures on the core path: every one gets a clear answer, changes nothing that
// serves, and leaves the repository and release history consistent.
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { createTestScalarium, type LocalTestScalarium } from '../helpers/harness.ts';
import { authedGitUrl, createAppRepo, setResponse, type AppRepo } from '../helpers/app-repo.ts';
import { getViaRouter, startPoller } from '../helpers/router-client.ts';

const APP = 'sturdy';
const HOST = `${APP}.localhost`;
let server: LocalTestScalarium;
let repo: AppRepo;
let remote: string;

const NEVER_READY = `
const RESPONSE = 'never';
console.log('booting but never listening');
setInterval(() => {}, 1000);
process.on('SIGTERM', () => process.exit(0));
`;
const CRASHES = `
const RESPONSE = 'crash';
console.error('fatal: missing DATABASE_URL');
process.exit(3);
`;

async function releaseCount(): Promise<number> {
  return (await server.api('GET', `/api/apps/${APP}/releases`)).body.length;
}

async function remoteMain(): Promise<string> {
  return (await repo.git('ls-remote', remote, 'refs/heads/main')).stdout.split('\t')[0] ?? '';
}

/** Pushes a broken change while a poller runs; asserts the push is rejected and v1 keeps serving. */
async function assertRejectedPush(t: import('ava').ExecutionContext, reason: RegExp): Promise<void> {
  const releasesBefore = await releaseCount();
  const mainBefore = await remoteMain();
  const poller = startPoller(server.routerPort, HOST);
  const push = await repo.push(remote);
  const polled = await poller.stop();
  t.not(push.code, 0, push.output);
  t.regex(push.output, reason);
  t.regex(push.output, /pre-receive hook declined|\[remote rejected\]/);
  t.is(await remoteMain(), mainBefore, 'branch unchanged');
  t.is(await releaseCount(), releasesBefore, 'no new release');
  t.deepEqual(polled.errors, []);
  t.deepEqual([...polled.bodies.keys()], ['hello from v1']);
  await repo.git('reset', '-q', '--hard', 'HEAD~1');
}

test.before(async () => {
  server = await createTestScalarium({ instances: 'local' });
  repo = await createAppRepo('node-hello');
  remote = authedGitUrl(server.url, APP, server.token);
  {
    const created = await server.api('POST', '/api/apps', { name: APP });
    if (created.status !== 201) throw new Error(JSON.stringify(created.body));
  }
  const push = await repo.push(remote);
  if (push.code !== 0) throw new Error(push.output);
});

test.after.always(async () => {
  await server?.close();
  repo?.cleanup();
});

test('bad app names get 400 invalid_name and create nothing on disk', async (t) => {
  const names = ['a;rm -rf x', '$(id)', '`id`', '..', '../etc', 'UPPER', '-leading', 'trailing-', 'a'.repeat(31), 'with space', 'nul\u0000', 'dot.name', 'é', ''];
  for (const name of names) {
    const res = await server.api('POST', '/api/apps', { name });
    t.is(res.status, 400, `name ${JSON.stringify(name)}`);
    t.is(res.body.error.code, 'invalid_name');
    t.truthy(res.body.error.hint);
  }
  const repos = fs.readdirSync(path.join(server.dataDir, 'repos'));
  t.deepEqual(repos.filter((r) => r !== `${APP}.git` && r !== 'locked-out.git'), []);
  t.false(fs.existsSync(path.join(server.dataDir, 'etc.git')));
  t.is((await server.api('GET', '/api/apps')).body.filter((a: { name: string }) => names.includes(a.name)).length, 0);
});

test('unknown apps are 404 for the API and for git', async (t) => {
  const res = await server.api('GET', '/api/apps/nope');
  t.is(res.status, 404);
  t.is(res.body.error.code, 'app_not_found');
  const push = await repo.push(authedGitUrl(server.url, 'nope', server.token));
  t.not(push.code, 0);
  t.regex(push.output, /404|not found/i);
});

test('the API needs a valid token', async (t) => {
  t.is((await server.api('GET', '/api/apps', undefined, '')).status, 401);
  const wrong = await server.api('GET', '/api/apps', undefined, 'scl_wrong');
  t.is(wrong.status, 401);
  t.is(wrong.body.error.code, 'unauthenticated');
});

test('pushes without or with a wrong token get 401 and store nothing', async (t) => {
  const other = await server.api('POST', '/api/apps', { name: 'locked-out' });
  t.is(other.status, 201);
  for (const url of [`${server.url}/locked-out.git`, authedGitUrl(server.url, 'locked-out', 'scl_wrong')]) {
    const push = await repo.push(url);
    t.not(push.code, 0);
    t.regex(push.output, /401|Authentication failed|could not read Username/i);
  }
  const refs = fs.readdirSync(path.join(server.dataDir, 'repos', 'locked-out.git', 'refs', 'heads'));
  t.deepEqual(refs, []);
  t.is((await server.api('GET', '/api/apps/locked-out/releases')).body.length, 0);
});

test.serial('a failing build is rejected with its output; v1 keeps serving', async (t) => {
  repo.write('package.json', JSON.stringify({ name: 'x', scripts: { start: 'node server.js', build: "node -e \"console.error('intentional build failure'); process.exit(1)\"" } }));
  await repo.commit('breaks the build');
  await assertRejectedPush(t, /intentional build failure/);
});

test.serial('an app that never becomes ready is rejected after the readiness timeout', async (t) => {
  // Before any change, make the check quick (this creates a release, restarting v1).
  const set = await server.api('PATCH', `/api/apps/${APP}/config`, { SCALARIUM_READINESS_TIMEOUT: '2' });
  t.is(set.status, 200, JSON.stringify(set.body));
  repo.write('server.js', NEVER_READY);
  await repo.commit('never ready');
  await assertRejectedPush(t, /did not answer HTTP on its PORT within 2 s/);
});

test.serial('an app that crashes on boot is rejected with its last output', async (t) => {
  repo.write('server.js', CRASHES);
  await repo.commit('crashes');
  await assertRejectedPush(t, /exited with code 3 during boot[\s\S]*missing DATABASE_URL/);
});

test.serial('other branches are stored without a deploy', async (t) => {
  const before = await releaseCount();
  await repo.git('checkout', '-q', '-b', 'feature');
  setResponse(repo, 'feature work');
  await repo.commit('feature');
  const push = await repo.push(remote, 'feature');
  t.is(push.code, 0, push.output);
  t.regex(push.output, /Stored. Only pushes to main deploy /);
  t.is(await releaseCount(), before);
  t.is((await getViaRouter(server.routerPort, HOST)).body, 'hello from v1');
  await repo.git('checkout', '-q', 'main');
});

test.serial('two pushes at once: one deploys, the other is refused; history stays consistent', async (t) => {
  const second = await createAppRepo('node-hello');
  t.teardown(() => second.cleanup());
  // Both start from what the server has, then diverge.
  await second.git('fetch', '-q', remote, 'main');
  await second.git('reset', '-q', '--hard', 'FETCH_HEAD');
  setResponse(repo, 'from first');
  await repo.commit('first');
  setResponse(second, 'from second');
  await second.commit('second');
  const before = await releaseCount();
  const [a, b] = await Promise.all([repo.push(remote), second.push(remote)]);
  const winners = [a, b].filter((p) => p.code === 0);
  t.is(winners.length, 1, `${a.output}\n----\n${b.output}`);
  const loser = a.code === 0 ? b : a;
  t.regex(loser.output, /is busy|fetch first|rejected/);
  t.is(await releaseCount(), before + 1);
  const live = (await getViaRouter(server.routerPort, HOST)).body;
  const winnerRepo = a.code === 0 ? repo : second;
  t.is(live, a.code === 0 ? 'from first' : 'from second');
  t.is(await remoteMain(), (await winnerRepo.git('rev-parse', 'HEAD')).stdout.trim());
  const releases = (await server.api('GET', `/api/apps/${APP}/releases`)).body;
  t.is(releases[0].commit, await remoteMain());
});

test('audit rows of API mutations and pushes record the source address', async (t) => {
  const rows = (await server.api('GET', '/api/audit?action=config.change')).body as Array<{ source: string | null }>;
  t.true(rows.length > 0);
  t.true(rows.every((r) => r.source === '127.0.0.1' || r.source === '::ffff:127.0.0.1'), JSON.stringify(rows));
  const pushes = (await server.api('GET', '/api/audit?action=git.push')).body as Array<{ source: string | null }>;
  t.true(pushes.length > 0 && pushes.every((r) => Boolean(r.source)));
});
