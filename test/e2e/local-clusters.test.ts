// A second local cluster (issue 9, item 12): its router gets a port of its own (the default
// cluster's router holds SCALARIUM_ROUTER_PORT), comes online and serves the cluster's apps, and
// apps:info gives their URL on that port. When its router cannot start (its port is taken), the
// instance fails at once — not after the connect timeout — and clusters:info (API, CLI) and the
// cluster page show the last lines it printed, escaped; once the port is free it comes back there.
// (Real server subprocess, real routers and agents; ephemeral ports.)
import test from 'ava';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { authedGitUrl, createAppRepo } from '../helpers/app-repo.ts';
import { getViaRouter } from '../helpers/router-client.ts';
import { uiLogin } from '../helpers/ui-client.ts';
import { cli, sandbox } from '../../cli/test-support.ts';
import { isRunning } from '../../server/agent/process-records.ts';

const APP = 'staged';
const HOST = `${APP}.localhost`;
let server: TestServer;

test.before(async () => {
  // SCALARIUM_ROUTER_PORT=0 (the helper's default): every router picks a free port.
  server = await startTestServer({ env: { SCALARIUM_RECONCILE_INTERVAL: '1' } });
});
test.after.always(async () => {
  await server?.cleanup();
});

interface Instance { id: string; role: string; state: string; connected: boolean; failure: string | null; lastOutput: string[] | null }

const instance = async (id: string): Promise<Instance | undefined> =>
  ((await server.api('GET', '/api/clusters/staging')).body.instances as Instance[]).find((i) => i.id === id);

async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const value = await check().catch((error: Error) => ((last = error), undefined));
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (${String(last)})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Listens on the port as soon as the kernel lets go of it. */
async function occupy(port: number): Promise<net.Server> {
  for (let attempt = 0; ; attempt++) {
    const holder = net.createServer((socket) => socket.destroy());
    const ok = await new Promise<boolean>((resolve) => {
      holder.once('error', () => resolve(false));
      holder.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (ok) return holder;
    if (attempt > 50) throw new Error(`port ${port} stayed taken`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test.serial('a second local cluster gets a router of its own, online and serving its apps; a failed router shows why', async (t) => {
  t.is((await server.api('POST', '/api/clusters', { name: 'staging', provider: 'local' })).status, 201);
  await until('staging online', async () => {
    const [router, app] = [await instance('staging-router-1'), await instance('staging-app-1')];
    return router?.state === 'online' && router.connected && app?.state === 'online';
  });

  const repo = await createAppRepo('node-hello');
  t.teardown(() => repo.cleanup());
  t.is((await server.api('POST', '/api/apps', { name: APP, cluster: 'staging' })).status, 201);
  const push = await repo.push(authedGitUrl(server.url, APP, server.token));
  t.is(push.code, 0, push.output);

  // Its URL is on staging's router, which is not the default cluster's.
  const info = (await server.api('GET', `/api/apps/${APP}`)).body as { url: string };
  const port = Number(new URL(info.url).port);
  t.true(port > 0 && port !== server.routerPort, `${info.url} vs the local router on ${server.routerPort}`);
  t.is(Number(fs.readFileSync(path.join(server.dataDir, 'instances', 'staging-router-1', 'router-port'), 'utf8')), port, 'kept for its next start');
  t.is((await getViaRouter(port, HOST)).body, 'hello from v1');
  t.is((await getViaRouter(server.routerPort, HOST)).status, 404, 'the default cluster\'s router does not route it');
  const healthy = await instance('staging-router-1');
  t.is(healthy?.lastOutput, null, 'no output is shown for a healthy instance');

  // Its port taken while it is down: the relaunched router cannot listen and exits.
  const routerPid = Number(fs.readFileSync(path.join(server.dataDir, 'instances', 'staging-router-1', 'pid'), 'utf8'));
  process.kill(routerPid, 'SIGKILL');
  const holder = await occupy(port);
  t.teardown(() => holder.close());
  // What a hostile app could get into an instance's own output (an error message quoting it).
  fs.appendFileSync(path.join(server.dataDir, 'instances', 'staging-router-1', 'output.log'),
    'router: failed: \x1b]0;owned\x07 \x1b[31mred\x1b[0m <script>alert(1)</script>\n');
  const failed = await until('the router to fail', async () => {
    const now = await instance('staging-router-1');
    return now?.state === 'failed' && now.lastOutput?.some((line) => line.includes('EADDRINUSE')) && now;
  });
  t.regex(failed.failure ?? '', /exited before it connected; its last output: .*EADDRINUSE/);
  t.true(failed.lastOutput!.length <= 20);
  // Escaped where they are read: no control character, no terminal sequence.
  const hostile = failed.lastOutput!.find((line) => line.includes('router: failed'));
  t.is(hostile, 'router: failed: \\x1b]0;owned\\x07 red <script>alert(1)</script>');
  t.false(isRunning(routerPid));

  // clusters:info prints those lines under the table.
  const box = await sandbox(t, { SCALARIUM_SERVER: server.url, SCALARIUM_TOKEN: server.token });
  const shown = await cli(['clusters:info', 'staging'], { env: box.env, cwd: box.dir });
  t.is(shown.code, 0, shown.stderr);
  t.regex(shown.stdout, /=== staging-router-1: its last output \(failed, not connected\)\n(  .*\n)*  .*cannot start: listen EADDRINUSE/);

  // The cluster page shows them too.
  const ui = await uiLogin(server.url, server.token);
  const page = await ui.get('/clusters/staging');
  t.is(page.status, 200);
  t.regex(page.html, /<details class="last-output" open><summary>its last output<\/summary><pre class="log">[^<]*EADDRINUSE/);
  t.true(page.html.includes('red &lt;script&gt;alert(1)&lt;/script&gt;'));
  t.false(page.html.includes('<script>alert(1)'));

  // Port free again: the next pass starts it there, and the app is served as before.
  await new Promise((resolve) => holder.close(resolve));
  await until('the router back online', async () => {
    const now = await instance('staging-router-1');
    return now?.state === 'online' && now.connected && now.failure === null;
  });
  const back = await until('the app served again', async () => (await getViaRouter(port, HOST)).body === 'hello from v1');
  t.true(back);
  t.is(Number(new URL(((await server.api('GET', `/api/apps/${APP}`)).body as { url: string }).url).port), port);
});
