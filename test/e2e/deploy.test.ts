// The core path end to end, as a user does it: CLI login, apps:create (git remote), `git push
// scalarium main` with the real git client, requests through the real router. One server, one
// app, steps in order.
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { createAppRepo, setResponse, type AppRepo } from '../helpers/app-repo.ts';
import { getViaRouter, startPoller, waitForBody } from '../helpers/router-client.ts';
import { run } from '../../cli/main.ts';

const APP = 'shop';
const HOST = `${APP}.localhost`;
let server: TestServer;
let repo: AppRepo;
let configHome: string;

/** Runs the CLI in-process, as `scalarium ...` in the app's directory. */
async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void) => new Writable({ write(chunk, _enc, cb) { append(String(chunk)); cb(); } });
  const code = await run(argv, {
    stdout: sink((s) => (stdout += s)), stderr: sink((s) => (stderr += s)),
    env: { ...process.env, XDG_CONFIG_HOME: configHome, SCALARIUM_SERVER: '', SCALARIUM_TOKEN: '' }, cwd: repo.dir,
  });
  return { code, stdout, stderr };
}

async function gitPush(): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await repo.git('push', 'scalarium', 'main');
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    return { code: 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

test.before(async () => {
  configHome = fs.mkdtempSync(path.join(os.tmpdir(), 'scalarium-cli-'));
  // git runs the CLI as its credential helper; it must find the login saved in this config home.
  process.env.XDG_CONFIG_HOME = configHome;
  server = await startTestServer();
  repo = await createAppRepo('node-hello');
});

test.after.always(async () => {
  await server?.cleanup();
  repo?.cleanup();
  if (configHome) fs.rmSync(configHome, { recursive: true, force: true });
});

test.serial('login and apps:create add a git remote', async (t) => {
  const login = await cli('login', '--server', server.url, '--token', server.token);
  t.is(login.code, 0, login.stderr);
  const created = await cli('apps:create', APP);
  t.is(created.code, 0, created.stderr);
  const { stdout } = await repo.git('remote', 'get-url', 'scalarium');
  t.true(stdout.trim().endsWith(`/${APP}.git`));
});

test.serial('git push deploys v1, streams build output and serves it through the router', async (t) => {
  const push = await gitPush();
  t.is(push.code, 0, push.output);
  t.regex(push.output, /remote: -----> Building shop/);
  t.regex(push.output, /remote: .*Released v1/);
  t.regex(push.output, new RegExp(`http://${APP}\\.localhost:${server.routerPort}/`));
  const res = await getViaRouter(server.routerPort, HOST);
  t.is(res.status, 200);
  t.is(res.body, 'hello from v1');
  const releases = await server.api('GET', `/api/apps/${APP}/releases`);
  t.is(releases.body.length, 1);
  t.is(releases.body[0].commit, (await repo.git('rev-parse', 'HEAD')).stdout.trim());
});

test.serial('deploying v2 while a poller runs: zero failed requests, then only v2', async (t) => {
  setResponse(repo, 'hello from v2');
  await repo.commit('v2');
  const poller = startPoller(server.routerPort, HOST);
  await new Promise((r) => setTimeout(r, 300));
  const push = await gitPush();
  await new Promise((r) => setTimeout(r, 300));
  const polled = await poller.stop();
  t.is(push.code, 0, push.output);
  t.deepEqual(polled.errors, []);
  t.true(polled.total > 20, `only ${polled.total} requests were made`);
  t.true(polled.bodies.has('hello from v1') && polled.bodies.has('hello from v2'));
  t.is((await getViaRouter(server.routerPort, HOST)).body, 'hello from v2');
  // The deploy branch equals the live release's commit.
  const head = (await repo.git('rev-parse', 'HEAD')).stdout.trim();
  const remote = (await repo.git('ls-remote', 'scalarium', 'refs/heads/main')).stdout.split('\t')[0];
  t.is(remote, head);
});

test.serial('an authorised user can clone the app repository; a wrong token cannot', async (t) => {
  const target = fs.mkdtempSync(path.join(os.tmpdir(), 'scalarium-clone-'));
  t.teardown(() => fs.rmSync(target, { recursive: true, force: true }));
  const remote = (await repo.git('remote', 'get-url', 'scalarium')).stdout.trim();
  t.false(remote.includes(server.token), 'the remote URL holds no token: the credential helper supplies it');
  t.false(fs.readFileSync(path.join(repo.dir, '.git', 'config'), 'utf8').includes(server.token));
  const helper = (await repo.git('config', '--get-all', `credential.${new URL(server.url).origin}.helper`)).stdout.trim().split('\n').pop()!;
  await repo.git('-c', 'credential.helper=', '-c', `credential.helper=${helper}`, 'clone', '-q', remote, path.join(target, 'ok'));
  t.is(fs.readFileSync(path.join(target, 'ok', 'server.js'), 'utf8'), fs.readFileSync(path.join(repo.dir, 'server.js'), 'utf8'));
  const wrong = new URL(remote);
  wrong.password = 'scl_wrong';
  await t.throwsAsync(() => repo.git('clone', '-q', wrong.href, path.join(target, 'denied')), { message: /401|Authentication failed/ });
  t.false(fs.existsSync(path.join(target, 'denied', 'server.js')));
});

test.serial('config:set makes a release and the app sees the var', async (t) => {
  const set = await cli('config:set', 'GREETING=bonjour');
  t.is(set.code, 0, set.stderr);
  t.is((await getViaRouter(server.routerPort, HOST)).body, 'hello from v2 bonjour');
  const config = await cli('config', '--json');
  t.deepEqual(JSON.parse(config.stdout), { GREETING: 'bonjour' });
  const releases = await server.api('GET', `/api/apps/${APP}/releases`);
  t.is(releases.body[0].version, 3);
  t.regex(releases.body[0].description, /GREETING/);
});

test.serial('rollback v1 serves v1 code with v1 config as a new release', async (t) => {
  const rolled = await cli('rollback', 'v1');
  t.is(rolled.code, 0, rolled.stderr);
  t.is((await getViaRouter(server.routerPort, HOST)).body, 'hello from v1');
  const releases = await server.api('GET', `/api/apps/${APP}/releases`);
  t.is(releases.body[0].version, 4);
  t.is(releases.body[0].description, 'Rollback to v1');
  t.deepEqual((await server.api('GET', `/api/apps/${APP}/config`)).body, {});
});

test.serial('ps:scale web=3 runs three ready processes that share the traffic', async (t) => {
  const scaled = await cli('ps:scale', 'web=3');
  t.is(scaled.code, 0, scaled.stderr);
  const ps = await server.api('GET', `/api/apps/${APP}/ps`);
  const web = ps.body.filter((p: { type: string; state: string }) => p.type === 'web' && p.state === 'ready');
  t.is(web.length, 3);
  t.is(new Set(web.map((p: { port: number }) => p.port)).size, 3);
  const info = await cli('apps:info', '--json');
  t.deepEqual(JSON.parse(info.stdout).formation, { web: 3 });
  for (let i = 0; i < 6; i++) t.is((await getViaRouter(server.routerPort, HOST)).status, 200);
});

test.serial('ps:restart replaces every process without a failed request', async (t) => {
  const before = (await server.api('GET', `/api/apps/${APP}/ps`)).body.map((p: { id: string }) => p.id);
  const poller = startPoller(server.routerPort, HOST);
  const restarted = await cli('ps:restart');
  const polled = await poller.stop();
  t.is(restarted.code, 0, restarted.stderr);
  t.deepEqual(polled.errors, []);
  const after = (await server.api('GET', `/api/apps/${APP}/ps`)).body as Array<{ id: string; state: string }>;
  t.is(after.length, 3);
  t.true(after.every((p) => !before.includes(p.id) && p.state === 'ready'));
});

test.serial('logs show the app output', async (t) => {
  const logs = await cli('logs', '--num', '200');
  t.is(logs.code, 0, logs.stderr);
  t.regex(logs.stdout, /app\[web\.\d\]: node-hello listening on port \d+/);
});

test.serial('restarting the server keeps the app serving and re-adopts agents', async (t) => {
  const before = (await server.api('GET', `/api/apps/${APP}/ps`)).body.map((p: { id: string }) => p.id).sort();
  const poller = startPoller(server.routerPort, HOST);
  await new Promise((r) => setTimeout(r, 200));
  await server.stop();
  await new Promise((r) => setTimeout(r, 500));
  await server.restart();
  await new Promise((r) => setTimeout(r, 300));
  const polled = await poller.stop();
  t.deepEqual(polled.errors, []);
  t.true(polled.total > 10);
  t.regex(server.output(), /adopting local-app-1/);
  t.regex(server.output(), /adopting local-router-1/);
  const after = (await server.api('GET', `/api/apps/${APP}/ps`)).body.map((p: { id: string }) => p.id).sort();
  t.deepEqual(after, before, 'the same processes run: nothing was restarted');
  // And the restarted server can still deploy.
  setResponse(repo, 'hello from v3');
  await repo.commit('v3');
  const push = await gitPush();
  t.is(push.code, 0, push.output);
  await waitForBody(server.routerPort, HOST, 'hello from v3');
});
