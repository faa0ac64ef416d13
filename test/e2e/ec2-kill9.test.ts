// kill -9 of the server between a launch and its database write: the EC2 API has made the instance,
// the server never heard back. Started again, the server adopts that instance by its tags instead
// of launching a second one, and it comes online.
import test from 'ava';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startMoto, type Moto } from '../helpers/moto.ts';
import { startCloudSandbox, type CloudSandbox } from '../helpers/cloud-sandbox.ts';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.ts';

const REGION = 'eu-central-1';
let server: TestServer;
let moto: Moto;
let proxy: FaultProxy;
let sandbox: CloudSandbox;

test.before(async () => {
  moto = await startMoto();
  proxy = await startFaultProxy(moto.url);
  sandbox = await startCloudSandbox({ endpoint: moto.url, region: REGION });
  server = await startTestServer({ env: { SCALARIUM_RECONCILE_INTERVAL: '2' } });
});

test.after.always(async () => {
  // Each step runs even if an earlier one fails: no process may outlive the test.
  for (const step of [() => sandbox?.cleanup(), () => server?.cleanup(), () => proxy?.close(), () => moto?.stop()]) {
    await Promise.resolve().then(step).catch(() => {});
  }
});

async function taggedInstances(): Promise<string[]> {
  const ec2 = new EC2Client({ region: REGION, endpoint: moto.url, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const out = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:scalarium:cluster', Values: ['prod'] }] }));
  return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).filter((i) => i.State?.Name !== 'terminated').map((i) => i.InstanceId!);
}

test('kill -9 between RunInstances and the database write: adopted, not duplicated', async (t) => {
  proxy.hold('RunInstances', 1);
  const created = await server.api('POST', '/api/clusters', {
    name: 'prod', provider: 'ec2', roles: { app: 1, router: 0 },
    settings: { region: REGION, endpoint: proxy.url, image: 'ami-03cf127a', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, bootTimeoutMs: 60_000 },
  });
  t.is(created.status, 201, JSON.stringify(created.body));

  // RunInstances reached the cloud (which launched the instance) but its answer is held: kill now.
  const deadline = Date.now() + 30_000;
  while (proxy.count('RunInstances', 'held') < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  t.is(proxy.count('RunInstances', 'held'), 1);
  await server.stop('SIGKILL');
  proxy.release();
  t.is((await taggedInstances()).length, 1, 'the cloud has the instance the server never recorded');

  await server.restart();
  let info: { instances: Array<{ role: string; state: string; providerRef: string | null }> } = { instances: [] };
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    info = (await server.api('GET', '/api/clusters/prod')).body;
    // Online (its agent connected) and adopted (the row names its EC2 instance again).
    if (info.instances.some((i) => i.role === 'app' && i.state === 'online' && i.providerRef)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const tagged = await taggedInstances();
  t.is(tagged.length, 1, `no second instance was launched: ${tagged.join(', ')}`);
  const app = info.instances.filter((i) => i.role === 'app' && i.state === 'online');
  t.is(app.length, 1, JSON.stringify(info.instances));
  t.is(app[0]!.providerRef, tagged[0]);
  t.is(proxy.count('RunInstances'), 1, 'the restarted server adopted instead of launching');
});
