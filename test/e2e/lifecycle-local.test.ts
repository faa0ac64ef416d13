// The lifecycle events on the local cluster: scaling the app role 1 → 3 → 1 sets up new instances,
// configures every online instance each time (the app's hook sees the new membership), spreads
// and then moves processes with no failed request, and shuts removed instances down.
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { authedGitUrl, createAppRepo } from '../helpers/app-repo.ts';
import { getViaRouter, startPoller } from '../helpers/router-client.ts';

const APP = 'hooked';
const HOST = `${APP}.localhost`;
let server: TestServer;

interface EventRun { id: number; instanceId: string; event: string; app: string | null; status: string; output: string | null; reason: string | null }

test.before(async () => {
  server = await startTestServer();
});
test.after.always(async () => {
  await server?.cleanup();
});

async function events(): Promise<EventRun[]> {
  return (await server.api('GET', '/api/clusters/local/events?limit=1000')).body;
}

/**
 * Membership changes settle asynchronously (setup → configure → deploy): wait until the runs that
 * must come have come, and none is still running.
 */
async function settledEvents(done: (runs: EventRun[]) => boolean): Promise<EventRun[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const runs = await events();
    if ((done(runs) && !runs.some((r) => r.status === 'running')) || Date.now() > deadline) return runs;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const configuredAfter = (id: number, instances: string[]) => (runs: EventRun[]) =>
  instances.every((i) => runs.some((r) => r.id > id && r.event === 'configure' && r.instanceId === i));

test.serial('scale the app role out and back in, with lifecycle events and no failed request', async (t) => {
  const repo = await createAppRepo('hooked');
  t.teardown(() => repo.cleanup());
  t.is((await server.api('POST', '/api/apps', { name: APP })).status, 201);
  const push = await repo.push(authedGitUrl(server.url, APP, server.token));
  t.is(push.code, 0, push.output);

  // The deploy event ran the app's deploy hook on the instance that runs it, with the cluster JSON.
  let runs = await events();
  const deploy = runs.find((r) => r.event === 'deploy' && r.app === APP);
  t.truthy(deploy, JSON.stringify(runs.map((r) => r.event)));
  t.is(deploy!.status, 'succeeded');
  t.regex(deploy!.output ?? '', /deploy hook on hooked: 1 app instance\(s\), cluster JSON in file/);

  // Out: three app instances. New ones are set up; configure reaches every online instance.
  const before = (await events()).length ? Math.max(...(await events()).map((r) => r.id)) : 0;
  const out = await server.api('PATCH', '/api/clusters/local/roles', { app: 3 });
  t.is(out.status, 200, JSON.stringify(out.body));
  const cluster = (await server.api('GET', '/api/clusters/local')).body;
  const appInstances = cluster.instances.filter((i: { role: string; state: string }) => i.role === 'app' && i.state === 'online');
  t.is(appInstances.length, 3, JSON.stringify(cluster.instances));
  runs = (await settledEvents(configuredAfter(before, ['local-app-1', 'local-app-2', 'local-app-3']))).filter((r) => r.id > before);
  const setups = runs.filter((r) => r.event === 'setup');
  t.deepEqual(setups.map((r) => r.instanceId).sort(), ['local-app-2', 'local-app-3']);
  const lastConfigure = new Map<string, EventRun>();
  for (const r of runs.filter((r) => r.event === 'configure').reverse()) lastConfigure.set(r.instanceId, r);
  t.deepEqual([...lastConfigure.keys()].sort(), ['local-app-1', 'local-app-2', 'local-app-3']);
  t.regex(lastConfigure.get('local-app-1')!.output ?? '', /configure hook on hooked: 3 app instance\(s\)/);
  const clusterFile = JSON.parse(fs.readFileSync(path.join(server.appsDir, 'instances', 'local-app-3', '.cluster', 'cluster.json'), 'utf8'));
  t.is(clusterFile.instances.filter((i: { role: string }) => i.role === 'app').length, 3);

  // Spread the web processes: one per instance.
  t.is((await server.api('PATCH', `/api/apps/${APP}/formation`, { web: 3 })).status, 200);
  let ps = (await server.api('GET', `/api/apps/${APP}/ps`)).body as Array<{ instance: string; state: string }>;
  t.deepEqual(ps.map((p) => p.instance).sort(), ['local-app-1', 'local-app-2', 'local-app-3']);

  // In: back to one instance while a poller runs. Processes move first, then instances shut down.
  const beforeIn = Math.max(...(await events()).map((r) => r.id));
  const poller = startPoller(server.routerPort, HOST);
  const back = await server.api('PATCH', '/api/clusters/local/roles', { app: 1 });
  const polled = await poller.stop();
  t.is(back.status, 200, JSON.stringify(back.body));
  t.deepEqual(polled.errors, []);
  t.true(polled.total > 5);
  ps = (await server.api('GET', `/api/apps/${APP}/ps`)).body;
  t.is(ps.length, 3);
  t.true(ps.every((p) => p.instance === 'local-app-1' && p.state === 'ready'), JSON.stringify(ps));
  const after = (await server.api('GET', '/api/clusters/local')).body;
  t.deepEqual(after.instances.filter((i: { state: string }) => i.state === 'stopped').map((i: { id: string }) => i.id).sort(), ['local-app-2', 'local-app-3']);
  runs = (await settledEvents((all) => all.filter((r) => r.id > beforeIn && r.event === 'shutdown').length === 2 && configuredAfter(beforeIn, ['local-app-1'])(all))).filter((r) => r.id > beforeIn);
  t.deepEqual(runs.filter((r) => r.event === 'shutdown').map((r) => r.instanceId).sort(), ['local-app-2', 'local-app-3']);
  const finalConfigure = runs.filter((r) => r.event === 'configure' && r.instanceId === 'local-app-1')[0];
  t.regex(finalConfigure?.output ?? '', /configure hook on hooked: 1 app instance\(s\)/);
  t.is((await getViaRouter(server.routerPort, HOST)).body, 'hello from v1');
});
