// Tenant isolation, as a hostile deployer of one app tries it on the embedded default (local
// instances). A victim app is deployed first; then a "spy" app is pushed whose build (npm run build)
// and whose web process try to read the platform's secrets and the victim's files, call the server's
// internal endpoints, and look at their own identity and environment. Every attempt must fail.
// The tests run as root here, so the server isolates apps by uid; this suite runs twice, with
// bubblewrap (tenant-isolation.test.ts) and without it (tenant-isolation-uid.test.ts).
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { startTestServer, type TestServer } from './server.ts';
import { authedGitUrl, createAppRepo, type AppRepo } from './app-repo.ts';
import { getViaRouter } from './router-client.ts';

export function tenantIsolationSuite(sandbox: 'auto' | 'off'): void {
const SENTINEL = `SENTINEL_${Date.now()}_AWS`;
let server: TestServer;
let victimSlug = '';
let spyRepo: AppRepo;
let spyPush = '';
let spyProbe: {
  uid: number; gid: number; groups: number[]; env: string[]; files: Record<string, string>; leaked: string[];
  internal: Record<string, number | string>; processes: number;
};
let targets: string[] = [];

/** Everything a tenant must not read, by the paths the platform really uses. */
function platformTargets(): string[] {
  const { dataDir, appsDir } = server;
  const agentDir = path.join(dataDir, 'instances', 'local-app-1');
  const victimDir = path.join(appsDir, 'instances', 'local-app-1', 'victim');
  const agentPid = fs.readFileSync(path.join(agentDir, 'pid'), 'utf8').trim();
  return [
    path.join(dataDir, 'secret.key'),
    path.join(dataDir, 'scalarium.sqlite'),
    path.join(dataDir, 'initial-admin-token'),
    dataDir,
    path.join(dataDir, 'repos', 'victim.git', 'config'),
    path.join(dataDir, 'slugs', `${victimSlug}.tgz`),
    path.join(dataDir, 'builds', '1.log'),
    path.join(agentDir, 'output.log'),
    path.join(agentDir, 'slugs', `${victimSlug}.tgz`),
    victimDir,
    path.join(victimDir, victimSlug, 'server.js'),
    path.join(appsDir, 'builds', 'victim', 'cache'),
    `/proc/${server.pid}/environ`,
    `/proc/${agentPid}/environ`,
    '/etc/shadow',
  ];
}

test.before(async () => {
  server = await startTestServer({ env: { AWS_SECRET_ACCESS_KEY: SENTINEL, SCALARIUM_SANDBOX: sandbox } });
  const victim = await createAppRepo('node-hello');
  t0Cleanup.push(() => victim.cleanup());
  if ((await server.api('POST', '/api/apps', { name: 'victim' })).status !== 201) throw new Error('could not create victim');
  await server.api('PATCH', '/api/apps/victim/config', { VICTIM_SECRET: 'victim-config-secret' });
  const pushed = await victim.push(authedGitUrl(server.url, 'victim', server.token));
  if (pushed.code !== 0) throw new Error(`victim push failed:\n${pushed.output}`);
  victimSlug = (await server.api('GET', '/api/apps/victim/releases')).body.at(-1).slug;

  targets = platformTargets();
  spyRepo = await createAppRepo('spy');
  t0Cleanup.push(() => spyRepo.cleanup());
  spyRepo.write('targets.json', JSON.stringify({
    files: targets,
    http: [`${server.url}/internal/slugs/${victimSlug}`, `${server.url}/internal/agent.mjs`, `${server.url}/api/apps`],
    agent: `${server.url.replace('http', 'ws')}/agent`,
  }));
  await spyRepo.commit('targets');
  if ((await server.api('POST', '/api/apps', { name: 'spy' })).status !== 201) throw new Error('could not create spy');
  const push = await spyRepo.push(authedGitUrl(server.url, 'spy', server.token));
  spyPush = push.output;
  if (push.code !== 0) throw new Error(`spy push failed:\n${push.output}`);
  const res = await getViaRouter(server.routerPort, 'spy.localhost', '/probe');
  spyProbe = JSON.parse(res.body);
});

const t0Cleanup: Array<() => void> = [];
test.after.always(async () => {
  await server?.cleanup();
  for (const fn of t0Cleanup) fn();
});

test('the build (npm install running the pushed repo\'s preinstall script) can read none of the platform\'s or the victim\'s files', (t) => {
  for (const target of targets) {
    const line = spyPush.split('\n').find((l) => l.includes(`PROBE `) && l.trimEnd().endsWith(` ${target}`));
    t.truthy(line, `the build probed ${target}`);
    t.regex(line!, /PROBE (EACCES|ENOENT|EPERM) /, `the build could not read ${target}`);
  }
  const who = /PROBE uid=(\d+) gid=(\d+) groups=([\d,]*)/.exec(spyPush);
  t.truthy(who, 'the build said who it ran as');
  t.not(Number(who![1]), 0, 'builds do not run as root');
  t.false(who![3]!.split(',').includes('0'), 'no supplementary root group');
});

test('nothing the build tried to copy reached the slug', (t) => {
  t.deepEqual(spyProbe.leaked, []);
});

test('the app process reads none of them either (EACCES/ENOENT for each)', (t) => {
  t.deepEqual(Object.keys(spyProbe.files).sort(), [...targets].sort());
  for (const [target, result] of Object.entries(spyProbe.files)) t.regex(result, /^(EACCES|ENOENT|EPERM)$/, `${target}: ${result}`);
});

test('apps run as their own unprivileged uid, builds as another; their files are theirs alone', async (t) => {
  t.not(spyProbe.uid, 0);
  t.false(spyProbe.groups.includes(0));
  const instanceApps = path.join(server.appsDir, 'instances', 'local-app-1');
  const victimStat = fs.statSync(path.join(instanceApps, 'victim', victimSlug));
  const spySlug = (await server.api('GET', '/api/apps/spy/releases')).body.at(-1).slug;
  const spyStat = fs.statSync(path.join(instanceApps, 'spy', spySlug));
  t.is(spyStat.uid, spyProbe.uid, 'the spy owns its release folder');
  t.not(victimStat.uid, spyProbe.uid, 'the victim has another uid');
  t.is(victimStat.mode & 0o077, 0, 'release folders are closed to others');
  t.is(fs.statSync(path.join(instanceApps, 'victim')).mode & 0o777, 0o711, 'app folders only let their owner walk through');
  const buildUid = Number(/PROBE uid=(\d+)/.exec(spyPush)![1]);
  t.not(buildUid, spyProbe.uid, 'the build ran as the app\'s build uid, not as the app');
  t.is(fs.statSync(path.join(server.appsDir, 'builds', 'spy', 'cache')).uid, buildUid, 'the build cache belongs to the build uid');
});

test('the app\'s environment holds its config, PORT and documented names only', (t) => {
  const allowed = new Set(['PATH', 'LANG', 'HOME', 'TMPDIR', 'PORT', 'DYNO', 'SCALARIUM_APP', 'SCALARIUM_RELEASE', 'SCALARIUM_PROCESS_TYPE', 'SCALARIUM_CLUSTER_JSON', 'PWD', 'SHLVL', '_']);
  const extra = spyProbe.env.filter((name) => !allowed.has(name));
  t.deepEqual(extra, [], 'nothing of the server\'s or the agent\'s environment');
  t.false(spyProbe.env.includes('AWS_SECRET_ACCESS_KEY'));
  t.false(spyProbe.env.includes('SCALARIUM_INSTANCE_TOKEN'));
});

test('the server\'s internal endpoints answer the app 401', (t) => {
  for (const [url, status] of Object.entries(spyProbe.internal)) t.is(status, 401, url);
});

test('the agent channel refuses what an app can offer: no token, or a guessed one', async (t) => {
  // What the app could try from inside: it has no instance token, so it can only guess.
  const code = await new Promise<number>((resolve) => {
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/agent`);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', kind: 'agent', instanceId: 'local-app-1', token: 'guess', pid: 1 })));
    ws.on('close', (c) => resolve(c));
  });
  t.is(code, 4001);
});

test('an app inherits nothing from the project the server sits in (a CommonJS app without package.json stays CommonJS)', async (t) => {
  // test/helpers/dirs.ts puts a package.json of "type": "module" above the server's folders.
  const repo = await createAppRepo('procfile-only');
  t.teardown(() => repo.cleanup());
  repo.write('web.js', "const http = require('node:http');\nhttp.createServer((q, s) => s.end('commonjs ok')).listen(process.env.PORT);\n");
  await repo.commit('commonjs');
  t.is((await server.api('POST', '/api/apps', { name: 'plain-cjs' })).status, 201);
  const push = await repo.push(authedGitUrl(server.url, 'plain-cjs', server.token));
  t.is(push.code, 0, push.output);
  t.is((await getViaRouter(server.routerPort, 'plain-cjs.localhost')).body, 'commonjs ok');
});

test('the data dir is 0700 and what the server writes in it is its own (0600 files, 0700 folders)', (t) => {
  const mode = (p: string) => fs.statSync(path.join(server.dataDir, p)).mode & 0o777;
  t.is(mode('.'), 0o700);
  for (const file of ['secret.key', 'scalarium.sqlite', 'initial-admin-token', `slugs/${victimSlug}.tgz`, 'builds/1.log']) t.is(mode(file), 0o600, file);
  for (const dir of ['repos', 'slugs', 'builds', 'instances/local-app-1']) t.is(mode(dir) & 0o077, 0, dir);
});

test.serial('build folders left by a crash are swept at the next start (they hold config values in plaintext)', async (t) => {
  const leftover = path.join(server.appsDir, 'builds', 'victim', 'work-999-deadbeef');
  fs.mkdirSync(path.join(leftover, 'env'), { recursive: true });
  fs.writeFileSync(path.join(leftover, 'env', 'VICTIM_SECRET'), 'victim-config-secret');
  await server.stop('SIGKILL');
  await server.restart();
  t.false(fs.existsSync(leftover));
  t.regex(server.output(), /removed 1 build folder\(s\) left by an interrupted build/);
  t.true(fs.existsSync(path.join(server.appsDir, 'builds', 'victim', 'cache')), 'the build cache stays');
});

if (sandbox === 'auto') {
  test('with bubblewrap the app sees only its own processes', (t) => {
    t.regex(server.output(), /isolation: apps run as their own uid in a bubblewrap sandbox/);
    // The server, agents, router and other apps are in other pid namespaces: sh, node and bwrap's init.
    t.true(spyProbe.processes <= 4, `the app saw ${spyProbe.processes} processes`);
  });
} else {
  test('without bubblewrap the uid alone keeps the app out (it sees other processes, not their files)', (t) => {
    t.regex(server.output(), /isolation: apps run as their own uid \(bubblewrap not available/);
    t.true(spyProbe.processes > 4, 'no pid namespace: the host\'s processes are listed');
  });
}
}
