// A load spike through the router on the local provider, as a user meets it: web scales on its
// requests per process (autocannon), up within the policy's window + cooldown, and back down once the
// load stops — with no failed request, neither of autocannon's nor of a slow poller that runs all
// along (through every scale-up and every drain). (Real server subprocess, agents, router and app.)
import test from 'ava';
import autocannon from 'autocannon';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { authedGitUrl, createAppRepo } from '../helpers/app-repo.ts';
import { getViaRouter, waitForBody } from '../helpers/router-client.ts';
import { until } from '../helpers/until.ts';

const APP = 'spiky';
const HOST = `${APP}.localhost`;
let server: TestServer;

test.before(async () => {
  server = await startTestServer({ env: { SCALARIUM_METRICS_INTERVAL: '1', SCALARIUM_AUTOSCALE_INTERVAL: '1', SCALARIUM_RECONCILE_INTERVAL: '5' } });
});
test.after.always(async () => {
  await server?.cleanup();
});

interface Decision { from: number; to: number; source: string; reason: string; type: string }
const web = async () => ((await server.api('GET', `/api/apps/${APP}/ps`)).body as Array<{ type: string; state: string }>).filter((p) => p.type === 'web');
const decisions = async () => ((await server.api('GET', `/api/apps/${APP}/autoscale`)).body as { decisions: Decision[] }).decisions.slice().reverse();

test('web scales up under load and down after it, without a failed request', async (t) => {
  const repo = await createAppRepo('node-hello');
  t.teardown(() => repo.cleanup());
  t.is((await server.api('POST', '/api/apps', { name: APP })).status, 201);
  const push = await repo.push(authedGitUrl(server.url, APP, server.token));
  t.is(push.code, 0, push.output);
  await waitForBody(server.routerPort, HOST, 'hello from v1');
  const set = await server.api('PUT', `/api/apps/${APP}/autoscale/web`, { metric: 'requests', min: 1, max: 3, above: 30, below: 5, for: '10s', cooldown: '10s' });
  t.is(set.status, 200, JSON.stringify(set.body));

  // A slow poller (2 requests a second: under the scale-down threshold even on one process).
  const polled = { total: 0, errors: [] as string[] };
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const answer = await getViaRouter(server.routerPort, HOST).catch((error: Error) => ({ status: 0, body: error.message }));
      polled.total++;
      if (answer.status !== 200) polled.errors.push(`${answer.status} ${answer.body.slice(0, 80)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  })();
  t.teardown(async () => {
    polling = false;
    await poller;
  });

  // The spike: autocannon until web has 3 processes (or 120 s).
  const ac = autocannon({ url: `http://127.0.0.1:${server.routerPort}/`, connections: 8, duration: 120, headers: { host: HOST } });
  const scaledUp = await until('3 ready web processes', async () => {
    const list = await web();
    return list.length === 3 && list.every((p) => p.state === 'ready');
  }, { timeoutMs: 120_000 }).then(() => true, () => false);
  ac.stop();
  const load = await ac;
  t.true(scaledUp, `web did not reach 3: ${JSON.stringify(await decisions())}`);
  t.is(load.errors, 0, 'autocannon: connection errors');
  t.is(load.timeouts, 0, 'autocannon: timeouts');
  t.is(load.non2xx, 0, 'autocannon: answers other than 2xx');
  t.true(load.requests.total > 1000, `${load.requests.total} requests`);
  const ups = (await decisions()).filter((d) => d.to > d.from);
  t.deepEqual(ups.map((d) => [d.from, d.to]), [[1, 2], [2, 3]]);
  t.regex(ups[0]!.reason, /^requests \d+ req\/s > 30 req\/s for 10 s$/);

  await until('back to 1 web process', async () => {
    const list = await web();
    return list.length === 1 && list.every((p) => p.state === 'ready');
  }, { timeoutMs: 120_000 });
  const downs = (await decisions()).filter((d) => d.to < d.from);
  t.deepEqual(downs.map((d) => [d.from, d.to]), [[3, 2], [2, 1]]);
  t.regex(downs[0]!.reason, /^requests \d(\.\d)? req\/s < 5 req\/s for 10 s$/);
  polling = false;
  await poller;
  t.deepEqual(polled.errors, [], `${polled.total} polled requests`);
  t.true(polled.total > 20);
});
