// More of what users do on the core path: worker processes and restarts, custom buildpacks from a
// local path and from a tarball URL, live log tails, static sites, and destroying an app.
import test from 'ava';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { run } from '../../cli/main.ts';
import type { AddressInfo } from 'node:net';
import { createTestScalarium, type LocalTestScalarium } from '../helpers/harness.ts';
import { ROOT } from '../helpers/server.ts';
import { authedGitUrl, createAppRepo } from '../helpers/app-repo.ts';
import { getViaRouter, waitForBody } from '../helpers/router-client.ts';
import { uiLogin } from '../helpers/ui-client.ts';

let server: LocalTestScalarium;

test.before(async () => {
  // 127.0.0.2 plays a file server on the internet (allowed); the fixture buildpacks are the operator's.
  server = await createTestScalarium({
    instances: 'local',
    env: { SCALARIUM_OUTBOUND_ALLOW: '127.0.0.2/32', SCALARIUM_BUILDPACK_DIRS: path.join(ROOT, 'test', 'fixtures', 'buildpacks') },
  });
});

test.after.always(async () => {
  await server?.close();
});

async function deploy(t: import('ava').ExecutionContext, app: string, fixture: string, prepare?: (repo: Awaited<ReturnType<typeof createAppRepo>>) => Promise<void> | void) {
  const repo = await createAppRepo(fixture);
  t.teardown(() => repo.cleanup());
  t.is((await server.api('POST', '/api/apps', { name: app })).status, 201);
  if (prepare) {
    await prepare(repo);
    await repo.commit('prepared');
  }
  const push = await repo.push(authedGitUrl(server.url, app, server.token));
  t.is(push.code, 0, push.output);
  return { repo, push };
}

test('a worker runs beside web once scaled; a crashed web process is restarted by the agent', async (t) => {
  await deploy(t, 'workers', 'worker-app');
  let ps = (await server.api('GET', '/api/apps/workers/ps')).body as Array<{ type: string; state: string; restarts: number }>;
  t.deepEqual(ps.map((p) => p.type), ['web'], 'only web runs by default');
  const scaled = await server.api('PATCH', '/api/apps/workers/formation', { worker: 1 });
  t.is(scaled.status, 200, JSON.stringify(scaled.body));
  t.deepEqual(scaled.body.formation, { web: 1, worker: 1 });
  ps = (await server.api('GET', '/api/apps/workers/ps')).body;
  t.deepEqual(ps.map((p) => `${p.type}:${p.state}`).sort(), ['web:ready', 'worker:ready']);

  const badScale = await server.api('PATCH', '/api/apps/workers/formation', { nope: 1 });
  t.is(badScale.status, 400);
  t.regex(badScale.body.error.message, /no process type "nope"/);
  t.is((await server.api('PATCH', '/api/apps/workers/formation', { web: -1 })).status, 400);

  t.is((await getViaRouter(server.routerPort, 'workers.localhost', '/crash')).body, 'crashing');
  const deadline = Date.now() + 20_000;
  let web: { state: string; restarts: number } | undefined;
  while (Date.now() < deadline) {
    ps = (await server.api('GET', '/api/apps/workers/ps')).body;
    web = ps.find((p) => p.type === 'web');
    if (web?.restarts === 1 && web.state === 'ready') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  t.is(web?.restarts, 1);
  t.is(web?.state, 'ready');
  await waitForBody(server.routerPort, 'workers.localhost', 'web ok');

  const logs = await server.api('GET', '/api/apps/workers/logs?lines=500');
  t.regex(logs.body, /app\[worker\.1\]: worker tick \d+/);
  t.regex(logs.body, /app\[web\.1\]: process exited with code 7/);
});

test('logs?tail=1 streams new lines as they come', async (t) => {
  await deploy(t, 'tailed', 'worker-app');
  await server.api('PATCH', '/api/apps/tailed/formation', { worker: 1 });
  const lines = await new Promise<string>((resolve, reject) => {
    const req = http.get(`${server.url}/api/apps/tailed/logs?lines=1&tail=1`, { headers: { authorization: `Bearer ${server.token}` } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        if ((text.match(/worker tick/g) ?? []).length >= 3) {
          req.destroy();
          resolve(text);
        }
      });
    });
    req.on('error', (e) => (e.message.includes('aborted') ? undefined : reject(e)));
    setTimeout(() => reject(new Error('no streamed lines')), 15_000);
  });
  t.true((lines.match(/worker tick/g) ?? []).length >= 3);
});

test('an app can name its buildpack: a local path in .buildpacks', async (t) => {
  await deploy(t, 'custom-local', 'procfile-only', (repo) => {
    fs.rmSync(path.join(repo.dir, 'Procfile'));
    repo.write('.buildpacks', `${path.join(ROOT, 'test', 'fixtures', 'buildpacks', 'hello-pack')}\n`);
  });
  await waitForBody(server.routerPort, 'custom-local.localhost', 'built by hello-pack');
});

test('an app can name its buildpack: a tarball URL in BUILDPACK_URL', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scalarium-pack-'));
  const tarball = path.join(dir, 'hello-pack.tgz');
  execFileSync('tar', ['-czf', tarball, '-C', path.join(ROOT, 'test', 'fixtures', 'buildpacks'), 'hello-pack']);
  const files = http.createServer((req, res) => {
    if (req.url === '/hello-pack.tgz') fs.createReadStream(tarball).pipe(res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => files.listen(0, '127.0.0.2', () => r()));
  t.teardown(() => {
    files.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const url = `http://127.0.0.2:${(files.address() as AddressInfo).port}/hello-pack.tgz`;
  t.is((await server.api('POST', '/api/apps', { name: 'custom-url' })).status, 201);
  const set = await server.api('PATCH', '/api/apps/custom-url/config', { BUILDPACK_URL: url });
  t.is(set.status, 200);
  t.is(set.body.release, null, 'no release before the first deploy');
  const repo = await createAppRepo('static-site');
  t.teardown(() => repo.cleanup());
  const push = await repo.push(authedGitUrl(server.url, 'custom-url', server.token));
  t.is(push.code, 0, push.output);
  t.regex(push.output, /Hello pack compiling/);
  await waitForBody(server.routerPort, 'custom-url.localhost', 'built by hello-pack');
});

test('a static site is served by the static buildpack', async (t) => {
  await deploy(t, 'brochure', 'static-site');
  const res = await getViaRouter(server.routerPort, 'brochure.localhost');
  t.is(res.status, 200);
  t.regex(res.body, /<html/i);
});

test('apps:destroy stops the processes, removes the repo and the route', async (t) => {
  // Content of its own: slugs are stored by content, and other tests deploy node-hello too.
  await deploy(t, 'doomed', 'node-hello', (repo) => repo.write('doomed.txt', `${Date.now()}\n`));
  const ps = (await server.api('GET', '/api/apps/doomed/ps')).body as Array<{ port: number }>;
  const port = ps[0]!.port;
  const slug = (await server.api('GET', '/api/apps/doomed/releases')).body.at(-1).slug as string;
  const onInstance = path.join(server.appsDir, 'instances', 'local-app-1', 'doomed');
  t.true(fs.existsSync(path.join(onInstance, slug)), 'the release is unpacked for the app on its instance');
  t.is((await server.api('DELETE', '/api/apps/doomed')).status, 204);
  // Nothing of it stays on disk: not its unpacked release, the agent's copy of the slug, or its build cache.
  t.false(fs.existsSync(onInstance), 'the app\'s folder on the instance is gone');
  t.false(fs.existsSync(path.join(server.dataDir, 'instances', 'local-app-1', 'slugs', `${slug}.tgz`)));
  t.false(fs.existsSync(path.join(server.appsDir, 'builds', 'doomed')));
  t.is((await server.api('GET', '/api/apps/doomed')).status, 404);
  t.false(fs.existsSync(path.join(server.dataDir, 'repos', 'doomed.git')));
  t.is((await getViaRouter(server.routerPort, 'doomed.localhost')).status, 404);
  await t.throwsAsync(() => fetch(`http://127.0.0.1:${port}/`), undefined, 'the process is gone');
  // The name can be used again.
  t.is((await server.api('POST', '/api/apps', { name: 'doomed' })).status, 201);
});

test('one-click deploys: an archive URL, an uploaded tarball, a chosen commit, a chosen release', async (t) => {
  const { repo } = await deploy(t, 'clicky', 'node-hello');
  const first = (await repo.git('rev-parse', 'HEAD')).stdout.trim();
  repo.write('server.js', fs.readFileSync(path.join(repo.dir, 'server.js'), 'utf8').replace("'hello from v1'", "'hello from v2'"));
  await repo.commit('v2');
  t.is((await repo.push(authedGitUrl(server.url, 'clicky', server.token))).code, 0);
  await waitForBody(server.routerPort, 'clicky.localhost', 'hello from v2');

  // A chosen (older) commit: it deploys, and the deploy branch follows the live release.
  const byCommit = await server.api('POST', '/api/apps/clicky/deploy', { commit: first.slice(0, 12) });
  t.is(byCommit.status, 201, JSON.stringify(byCommit.body));
  t.is(byCommit.body.commit, first);
  await waitForBody(server.routerPort, 'clicky.localhost', 'hello from v1');
  const remoteMain = (await repo.git('ls-remote', authedGitUrl(server.url, 'clicky', server.token), 'refs/heads/main')).stdout.split('\t')[0];
  t.is(remoteMain, first);

  // An archive over HTTP (no git involved).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scalarium-archive-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const src = path.join(dir, 'site');
  fs.cpSync(path.join(ROOT, 'test', 'fixtures', 'apps', 'node-hello'), src, { recursive: true });
  fs.writeFileSync(path.join(src, 'server.js'), fs.readFileSync(path.join(src, 'server.js'), 'utf8').replace("'hello from v1'", "'from an archive'"));
  const tarball = path.join(dir, 'site.tgz');
  execFileSync('tar', ['-czf', tarball, '-C', dir, 'site']);
  const files = http.createServer((req, res) => (req.url === '/site.tgz' ? fs.createReadStream(tarball).pipe(res) : res.writeHead(404).end()));
  await new Promise<void>((r) => files.listen(0, '127.0.0.2', () => r()));
  t.teardown(() => files.close());
  const byUrl = await server.api('POST', '/api/apps/clicky/deploy', { archive: `http://127.0.0.2:${(files.address() as AddressInfo).port}/site.tgz` });
  t.is(byUrl.status, 201, JSON.stringify(byUrl.body));
  t.is(byUrl.body.commit, null);
  t.regex(byUrl.body.description, /^Deploy archive:[0-9a-f]{12}$/);
  await waitForBody(server.routerPort, 'clicky.localhost', 'from an archive');
  // The UI says where a release without a commit came from (it printed "v5 , <date>").
  const ui = await uiLogin(server.url, server.token);
  const appPage = (await ui.get('/apps/clicky')).html;
  t.regex(appPage, new RegExp(`<dt>Release</dt><dd>v${byUrl.body.version} <span class="muted">from an archive</span>, `));
  t.regex(appPage, /<td>v\d+<\/td>\s*<td>Deploy archive:[0-9a-f]{12}<\/td>\s*<td><span class="muted">archive<\/span><\/td>/);
  t.regex((await ui.get('/')).html, new RegExp(`v${byUrl.body.version} <span class="muted">from an archive</span>`));
  // Releases no process runs any more are pruned from the instance: only the live one is unpacked.
  const releases = (await server.api('GET', '/api/apps/clicky/releases')).body as Array<{ version: number; slug: string }>;
  const live = releases.reduce((a, b) => (b.version > a.version ? b : a)).slug;
  const unpacked = fs.readdirSync(path.join(server.appsDir, 'instances', 'local-app-1', 'clicky')).filter((e) => /^[0-9a-f]{64}$/.test(e));
  t.deepEqual(unpacked, [live]);

  // An uploaded tarball.
  fs.writeFileSync(path.join(src, 'server.js'), fs.readFileSync(path.join(src, 'server.js'), 'utf8').replace("'from an archive'", "'from an upload'"));
  execFileSync('tar', ['-czf', tarball, '-C', src, '.']);
  const upload = await fetch(`${server.url}/api/apps/clicky/deploy`, {
    method: 'POST', headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/gzip' }, body: fs.readFileSync(tarball),
  });
  t.is(upload.status, 201, await upload.clone().text());
  await waitForBody(server.routerPort, 'clicky.localhost', 'from an upload');

  // A chosen release, and bad requests.
  const byRelease = await server.api('POST', '/api/apps/clicky/deploy', { release: 2 });
  t.is(byRelease.status, 201, JSON.stringify(byRelease.body));
  await waitForBody(server.routerPort, 'clicky.localhost', 'hello from v2');
  t.is((await server.api('POST', '/api/apps/clicky/deploy', { commit: '$(id)' })).status, 400);
  t.is((await server.api('POST', '/api/apps/clicky/deploy', { archive: 'file:///etc/passwd' })).status, 400);
  const broken = await fetch(`${server.url}/api/apps/clicky/deploy`, {
    method: 'POST', headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/gzip' }, body: 'not a tarball',
  });
  t.is(broken.status, 422);
  t.is((await getViaRouter(server.routerPort, 'clicky.localhost')).body, 'hello from v2', 'failures change nothing that serves');

  // The CLI: `scalarium deploy --file` uploads a local tarball, `--archive` names a URL.
  let out = '';
  const sink = new Writable({ write(chunk, _enc, done) { out += String(chunk); done(); } });
  const io = { stdout: sink, stderr: sink, env: { ...process.env, SCALARIUM_SERVER: server.url, SCALARIUM_TOKEN: server.token }, cwd: dir };
  t.is(await run(['deploy', '--app', 'clicky', '--file', tarball, '--json'], io), 0, out);
  t.regex(out, /"description": "Deploy archive:[0-9a-f]{12}"/);
  await waitForBody(server.routerPort, 'clicky.localhost', 'from an upload');
  t.is(await run(['deploy', '--app', 'clicky', '--release', 'v3', '--archive', 'http://x/y.tgz'], io), 2, 'one source at a time');
});
