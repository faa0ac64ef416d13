// Rolling deploys: with SCALARIUM_DEPLOY_BATCH_SIZE the new processes start batch by batch, each
// batch must be ready before traffic moves to it, and a failing batch rolls the whole deployment
// back — while a poller sees no failed request.
import test from 'ava';
import { createTestScalarium, type LocalTestScalarium } from '../helpers/harness.ts';
import { authedGitUrl, createAppRepo } from '../helpers/app-repo.ts';
import { getViaRouter, startPoller } from '../helpers/router-client.ts';

const APP = 'rolling';
const HOST = `${APP}.localhost`;
let server: LocalTestScalarium;

test.before(async () => {
  server = await createTestScalarium({ instances: 'local' });
});
test.after.always(async () => {
  await server?.close();
});

/** Answers `text`; when `brokenDyno` is set, that one process never listens. */
function app(text: string, brokenDyno?: string): string {
  return `
const RESPONSE = ${JSON.stringify(text)};
const http = require('node:http');
const server = http.createServer((req, res) => res.end(RESPONSE));
if (process.env.DYNO !== ${JSON.stringify(brokenDyno ?? '')}) server.listen(Number(process.env.PORT));
else setInterval(() => {}, 1000);
process.on('SIGTERM', () => { server.close(() => process.exit(0)); server.closeIdleConnections(); setTimeout(() => process.exit(0), 100); });
`;
}

test.serial('batches of one, then a failing third batch rolls everything back', async (t) => {
  const repo = await createAppRepo('node-hello');
  t.teardown(() => repo.cleanup());
  const remote = authedGitUrl(server.url, APP, server.token);
  t.is((await server.api('POST', '/api/apps', { name: APP })).status, 201);
  repo.write('server.js', app('v1'));
  await repo.commit('v1');
  t.is((await repo.push(remote)).code, 0);
  t.is((await server.api('PATCH', `/api/apps/${APP}/formation`, { web: 3 })).status, 200);
  t.is((await server.api('PATCH', `/api/apps/${APP}/config`, { SCALARIUM_DEPLOY_BATCH_SIZE: '1', SCALARIUM_READINESS_TIMEOUT: '3' })).status, 200);

  repo.write('server.js', app('v2'));
  await repo.commit('v2');
  let poller = startPoller(server.routerPort, HOST);
  const good = await repo.push(remote);
  let polled = await poller.stop();
  t.is(good.code, 0, good.output);
  t.regex(good.output, /batch 1\/3[\s\S]*batch 2\/3[\s\S]*batch 3\/3/);
  t.deepEqual(polled.errors, []);
  t.is((await getViaRouter(server.routerPort, HOST)).body, 'v2');
  const deployments = (await server.api('GET', `/api/apps/${APP}/deployments`)).body as Array<{ status: string; steps: Array<{ name: string }> }>;
  t.deepEqual(deployments[0]!.steps.map((s) => s.name).filter((n) => n.includes('batch')),
    ['start batch 1', 'switch batch 1', 'start batch 2', 'switch batch 2', 'start batch 3']);

  const before = (await server.api('GET', `/api/apps/${APP}/ps`)).body.map((p: { id: string }) => p.id).sort();
  repo.write('server.js', app('v3', 'web.3'));
  await repo.commit('v3, third process broken');
  poller = startPoller(server.routerPort, HOST);
  const bad = await repo.push(remote);
  polled = await poller.stop();
  t.not(bad.code, 0);
  t.regex(bad.output, /web\.3 did not answer HTTP on its PORT within 3 s \(batch 3\/3\)/);
  t.deepEqual(polled.errors, [], 'the rollback is invisible to clients');
  t.true(polled.bodies.has('v2'));
  // Everything is back on v2: the same processes, all routed, the v3 ones gone.
  t.is((await getViaRouter(server.routerPort, HOST)).body, 'v2');
  const after = (await server.api('GET', `/api/apps/${APP}/ps`)).body as Array<{ id: string; release: number; routed: boolean }>;
  t.deepEqual(after.map((p) => p.id).sort(), before);
  t.true(after.every((p) => p.routed));
  const releases = (await server.api('GET', `/api/apps/${APP}/releases`)).body as Array<{ description: string }>;
  t.false(releases.some((r) => r.description.includes('v3')));
});
