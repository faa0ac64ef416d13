// The routers' table follows the state agents report: a routed web process that is not ready (it
// crashed, or failed its liveness check) leaves the table, and comes back once ready again — with
// no configure event, on the real server with the null provider's fake instances.
import test from 'ava';
import { createTestScalarium } from '../../test/helpers/harness.ts';
import { until } from '../../test/helpers/until.ts';
import { findApp } from '../../server/db/apps.ts';
import { listProcesses, updateProcess } from '../../server/db/processes.ts';
import { findClusterById } from '../../server/db/instances.ts';
import { configureCluster } from '../../server/core/configure.ts';

test('a routed web process leaves the table when its agent reports it crashed and returns when it is ready', async (t) => {
  const s = await createTestScalarium();
  t.teardown(() => s.close());
  t.is((await s.api('POST', '/api/apps', { name: 'shop' })).status, 201);
  await s.deployFakeRelease('shop', { processTypes: { web: 'node server.js' } });
  const app = (await findApp(s.scalarium.db, 'shop'))!;
  const [web] = await listProcesses(s.scalarium.db, { appId: app.id });
  // A fake process listens nowhere: give it a port, as a real agent's report would.
  await updateProcess(s.scalarium.db, web!.id, { port: 20001 });
  await configureCluster(s.scalarium, (await findClusterById(s.scalarium.db, app.cluster_id))!, 'test');
  const router = s.cloud.instance('local-router-1');
  const ports = () => router.table?.routes['shop.localhost']?.map((b) => b.port);
  t.deepEqual(ports(), [20001]);

  const agent = s.cloud.instance(web!.instanceId);
  agent.report(web!.id, { state: 'crashed', restarts: 0, reason: 'failed its liveness check 3 times in a row (GET /: HTTP 500)' });
  await until('the table without it', () => ports()?.length === 0);
  const ps = (await s.api('GET', '/api/apps/shop/ps')).body as Array<{ state: string; routed: boolean }>;
  t.like(ps[0], { state: 'crashed', routed: true }, 'still the rollout\'s to route: only out of the table while not ready');

  agent.report(web!.id, { state: 'ready', restarts: 1 });
  await until('the table with it again', () => ports()?.length === 1);
  t.deepEqual(ports(), [20001]);
});
