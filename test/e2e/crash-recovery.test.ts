// kill -9 of the server in the middle of a deploy, then a restart: the app serves the old or the new
// release throughout (never nothing), the app lock is free, the deployment is settled, and the
// repository agrees with the release history.
import test from 'ava';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { authedGitUrl, createAppRepo, setResponse, type AppRepo } from '../helpers/app-repo.ts';
import { getViaRouter, startPoller, waitForBody } from '../helpers/router-client.ts';

const APP = 'phoenix';
const HOST = `${APP}.localhost`;
let server: TestServer;
let repo: AppRepo;

/** node-hello, but it takes a while to start listening: the window in which the server dies. */
function slowBoot(text: string): string {
  return `
const RESPONSE = ${JSON.stringify(text)};
const http = require('node:http');
const server = http.createServer((req, res) => res.end(RESPONSE));
setTimeout(() => server.listen(Number(process.env.PORT)), 4000);
process.on('SIGTERM', () => { server.close(() => process.exit(0)); server.closeIdleConnections(); });
`;
}

test.before(async () => {
  server = await startTestServer();
  repo = await createAppRepo('node-hello');
  await server.api('POST', '/api/apps', { name: APP });
});

test.after.always(async () => {
  await server?.cleanup();
  repo?.cleanup();
});

test.serial('kill -9 mid-deploy, restart: served throughout, lock free, deployment settled', async (t) => {
  const remote = authedGitUrl(server.url, APP, server.token);
  const first = await repo.push(remote);
  t.is(first.code, 0, first.output);

  repo.write('server.js', slowBoot('hello from v2'));
  await repo.commit('v2, slow to boot');
  const poller = startPoller(server.routerPort, HOST);
  const pushing = repo.push(remote);
  // Wait until the new process is starting, then kill the server without warning.
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const ps = (await server.api('GET', `/api/apps/${APP}/ps`)).body as Array<{ release: number }>;
    if (ps.some((p) => p.release === 2)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await server.stop('SIGKILL');
  const push = await pushing;
  t.not(push.code, 0, 'the push cannot succeed: its server died');

  await new Promise((r) => setTimeout(r, 1000));
  await server.restart();
  await new Promise((r) => setTimeout(r, 5000));
  const polled = await poller.stop();
  t.deepEqual(polled.errors, [], 'the router kept serving while the server was dead and after');
  t.true(polled.total > 50);

  const deployments = (await server.api('GET', `/api/apps/${APP}/deployments`)).body as Array<{ status: string; reason: string }>;
  t.false(deployments.some((d) => d.status === 'running'), JSON.stringify(deployments));
  t.true(deployments.some((d) => d.status === 'failed' && /interrupted/.test(d.reason)));

  // Invariant 1: the branch did not move, so there is no release v2 and v1 serves.
  const releases = (await server.api('GET', `/api/apps/${APP}/releases`)).body as Array<{ version: number; commit: string }>;
  t.deepEqual(releases.map((r) => r.version), [1]);
  const remoteMain = (await repo.git('ls-remote', remote, 'refs/heads/main')).stdout.split('\t')[0];
  t.is(remoteMain, releases[0]!.commit);
  t.is((await getViaRouter(server.routerPort, HOST)).body, 'hello from v1');
  // Leftover processes of the unfinished release are gone.
  const ps = (await server.api('GET', `/api/apps/${APP}/ps`)).body as Array<{ release: number; state: string }>;
  t.deepEqual(ps.map((p) => [p.release, p.state]), [[1, 'ready']]);

  // The lock is free: the same change deploys now.
  await repo.git('checkout', '-q', 'HEAD~1', '--', 'server.js');
  setResponse(repo, 'hello from v2');
  await repo.commit('v2, quick to boot');
  const retry = await repo.push(remote);
  t.is(retry.code, 0, retry.output);
  await waitForBody(server.routerPort, HOST, 'hello from v2');
});
