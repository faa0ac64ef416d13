// An ec2 cluster end to end, with moto as the EC2 API and the cloud sandbox booting each instance's
// real user-data (which downloads and starts a real agent or router): push an app to 2 app
// instances behind 1 router and get it through that router; scale the app role 2 → 5 → 2 while a
// poller checks that no request fails and that configure reaches every online instance; then
// terminate an app instance behind Scalarium's back: it is replaced while the app keeps serving.
import test from 'ava';
import { DescribeInstanceAttributeCommand, EC2Client, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startMoto, freePort, type Moto } from '../helpers/moto.ts';
import { startCloudSandbox, type CloudSandbox } from '../helpers/cloud-sandbox.ts';
import { authedGitUrl, createAppRepo } from '../helpers/app-repo.ts';
import { getViaRouter, startPoller, waitForBody } from '../helpers/router-client.ts';

const REGION = 'eu-central-1';
const HOST = 'shop.localhost';
let server: TestServer;
let moto: Moto;
let sandbox: CloudSandbox;
let routerPort: number;

interface ClusterInfo { instances: Array<{ id: string; role: string; state: string; address: string | null; providerRef: string | null; failure: string | null }> }
interface Proc { instance: string; type: string; state: string }
interface EventRun { id: number; instanceId: string; event: string; status: string }

test.before(async () => {
  moto = await startMoto();
  routerPort = await freePort();
  sandbox = await startCloudSandbox({ endpoint: moto.url, region: REGION, routerPort });
  // Instances report every second: the metrics, usage and Prometheus checks need not wait 10 s. A
  // cluster pass every 3 s: an instance terminated behind Scalarium's back is noticed soon.
  server = await startTestServer({ env: { SCALARIUM_METRICS_INTERVAL: '1', SCALARIUM_RECONCILE_INTERVAL: '3' } });
});

test.after.always(async () => {
  // Terminate the cloud instances' processes first, then the server and its local instances; each
  // step runs even if an earlier one fails, so no process outlives the test.
  for (const step of [() => sandbox?.cleanup(), () => server?.cleanup(), () => moto?.stop()]) {
    await Promise.resolve().then(step).catch(() => {});
  }
});

async function cluster(): Promise<ClusterInfo> {
  return (await server.api('GET', '/api/clusters/prod')).body;
}

async function until<T>(what: string, probe: () => Promise<T | false | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(await cluster())}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const online = (info: ClusterInfo, role: string) => info.instances.filter((i) => i.role === role && i.state === 'online');

test.serial('an app pushed to an ec2 cluster serves through its router', async (t) => {
  const created = await server.api('POST', '/api/clusters', {
    name: 'prod', provider: 'ec2', roles: { app: 2, router: 1 },
    settings: {
      region: REGION, endpoint: moto.url, image: 'ami-03cf127a', instanceType: 't3.small',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, bootTimeoutMs: 60_000,
    },
  });
  t.is(created.status, 201, JSON.stringify(created.body));
  t.is(created.body.settings.credentials, 'stored (encrypted)');
  const info = await until('2 app instances and 1 router online', async () => {
    const c = await cluster();
    return online(c, 'app').length === 2 && online(c, 'router').length === 1 && c;
  });
  t.true(info.instances.every((i) => i.providerRef?.startsWith('i-')), 'every instance is an EC2 instance');

  // The token in an instance's user-data is for one use: once its agent is connected it is replaced.
  const ec2 = new EC2Client({ region: REGION, endpoint: moto.url, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const app1 = online(info, 'app')[0]!;
  const attribute = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: app1.providerRef!, Attribute: 'userData' }));
  const userData = Buffer.from(attribute.UserData?.Value ?? '', 'base64').toString('utf8');
  const bootToken = /SCALARIUM_INSTANCE_TOKEN='([^']+)'/.exec(userData)?.[1];
  t.truthy(bootToken, 'the user-data carries the instance token');
  const fetchBundle = () => fetch(`${server.url}/internal/agent.mjs`, { headers: { authorization: `Bearer ${bootToken}`, 'x-scalarium-instance': app1.id } });
  await until('the user-data token to stop working', async () => (await fetchBundle()).status === 401);
  t.is((await fetchBundle()).status, 401);

  t.is((await server.api('POST', '/api/apps', { name: 'shop', cluster: 'prod' })).status, 201);
  const repo = await createAppRepo('node-hello');
  t.teardown(() => repo.cleanup());
  const push = await repo.push(authedGitUrl(server.url, 'shop', server.token));
  t.is(push.code, 0, push.output);
  t.regex(push.output, new RegExp(`http://shop\\.localhost:${routerPort}/`));
  await waitForBody(routerPort, HOST, 'hello from v1');
  // The local router knows nothing of this app: each cluster has its own routers.
  t.is((await getViaRouter(server.routerPort, HOST)).status, 404);

  t.is((await server.api('PATCH', '/api/apps/shop/formation', { web: 2 })).status, 200);
  const ps = (await server.api('GET', '/api/apps/shop/ps')).body as Array<{ instance: string }>;
  t.is(new Set(ps.map((p) => p.instance)).size, 2, 'the two web processes run on different instances');

  // Monitoring and accounting on ec2 instances: their real agents and router report, per instance
  // and per app; the usage of the cluster is priced by its instance type.
  for (let k = 0; k < 20; k++) await getViaRouter(routerPort, HOST);
  const metrics = await until('the instances\' and the router\'s figures', async () => {
    const [clusterAnswer, appAnswer] = await Promise.all([server.api('GET', '/api/clusters/prod/metrics'), server.api('GET', '/api/apps/shop/metrics')]);
    const loads = (clusterAnswer.body.series as Array<{ name: string; labels: { instance?: string } }>).filter((x) => x.name === 'load1');
    const requests = (appAnswer.body.series as Array<{ name: string }>).some((x) => x.name === 'requests_per_second');
    return loads.length === 3 && requests && { loads };
  }, 90_000);
  t.deepEqual(metrics.loads.map((x) => x.labels.instance).sort(), info.instances.map((i) => i.id).sort());
  const usage = await until('usage of the cluster', async () => {
    const rows = ((await server.api('GET', '/api/usage?by=cluster')).body.rows as Array<{ cluster: string; instanceSeconds: number; instances: Array<{ role: string; instanceType: string }> }>);
    const prod = rows.find((r) => r.cluster === 'prod');
    return prod && prod.instanceSeconds > 0 && prod;
  });
  t.true(usage.instances.some((i) => i.role === 'app' && i.instanceType === 't3.small'), JSON.stringify(usage.instances));
});

test.serial('scale the app role 2 → 5 → 2: configure reaches every instance, no request fails', async (t) => {
  const runs = async (): Promise<EventRun[]> => (await server.api('GET', '/api/clusters/prod/events?limit=1000')).body;
  const lastId = async () => Math.max(0, ...(await runs()).map((r) => r.id));

  let mark = await lastId();
  let poller = startPoller(routerPort, HOST);
  const out = await server.api('PATCH', '/api/clusters/prod/roles', { app: 5 });
  t.is(out.status, 200, JSON.stringify(out.body));
  const five = await until('5 app instances online', async () => {
    const c = await cluster();
    return online(c, 'app').length === 5 && c;
  });
  await until('configure on all 5', async () => {
    const r = (await runs()).filter((x) => x.id > mark && x.event === 'configure');
    return online(five, 'app').every((i) => r.some((x) => x.instanceId === i.id)) && !(await runs()).some((x) => x.status === 'running');
  });
  let polled = await poller.stop();
  t.deepEqual(polled.errors, []);

  mark = await lastId();
  poller = startPoller(routerPort, HOST);
  const back = await server.api('PATCH', '/api/clusters/prod/roles', { app: 2 });
  t.is(back.status, 200, JSON.stringify(back.body));
  const two = await until('back to 2 app instances', async () => {
    const c = await cluster();
    return online(c, 'app').length === 2 && c.instances.filter((i) => i.role === 'app' && i.state === 'stopped').length >= 3 && c;
  });
  await until('configure on the remaining 2 and shutdown on the 3 others', async () => {
    const r = (await runs()).filter((x) => x.id > mark);
    return online(two, 'app').every((i) => r.some((x) => x.event === 'configure' && x.instanceId === i.id)) &&
      r.filter((x) => x.event === 'shutdown').length >= 3 && !r.some((x) => x.status === 'running');
  });
  polled = await poller.stop();
  t.deepEqual(polled.errors, [], 'the router followed the membership changes without a failed request');
  t.true(polled.total > 5, `only ${polled.total} requests were made`);
  const ps = (await server.api('GET', '/api/apps/shop/ps')).body as Array<{ instance: string; state: string }>;
  const remaining = new Set(online(two, 'app').map((i) => i.id));
  t.true(ps.length === 2 && ps.every((p) => remaining.has(p.instance) && p.state === 'ready'), JSON.stringify(ps));
  t.is((await getViaRouter(routerPort, HOST)).body, 'hello from v1');
});

test.serial('an app instance terminated behind Scalarium\'s back is replaced; the app keeps serving through the router', async (t) => {
  const runs = async (): Promise<EventRun[]> => (await server.api('GET', '/api/clusters/prod/events?limit=1000')).body;
  const webs = async () => ((await server.api('GET', '/api/apps/shop/ps')).body as Proc[]).filter((p) => p.type === 'web');
  const readyOnOnline = async (info: ClusterInfo) => {
    const hosts = new Set(online(info, 'app').map((i) => i.id));
    return (await webs()).filter((p) => p.state === 'ready' && hosts.has(p.instance));
  };

  t.is((await server.api('PATCH', '/api/apps/shop/formation', { web: 2 })).status, 200);
  const spread = await until('two ready web processes on two different app instances', async () => {
    const ready = await readyOnOnline(await cluster());
    return ready.length === 2 && new Set(ready.map((p) => p.instance)).size === 2 && ready;
  }, 120_000);
  const before = await cluster();
  const victim = before.instances.find((i) => i.id === spread[0]!.instance)!;
  t.truthy(victim.providerRef?.startsWith('i-'), JSON.stringify(victim));

  const mark = Math.max(0, ...(await runs()).map((r) => r.id));
  const poller = startPoller(routerPort, HOST);
  await new Promise((r) => setTimeout(r, 500));
  const ec2 = new EC2Client({ region: REGION, endpoint: moto.url, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  t.teardown(() => ec2.destroy());
  await ec2.send(new TerminateInstancesCommand({ InstanceIds: [victim.providerRef!] }));

  const after = await until('a new app instance online in place of the terminated one', async () => {
    const c = await cluster();
    const gone = c.instances.find((i) => i.id === victim.id);
    const fresh = online(c, 'app').filter((i) => !before.instances.some((b) => b.id === i.id));
    return gone && ['failed', 'stopped'].includes(gone.state) && fresh.length === 1 && online(c, 'app').length === 2 && c;
  }, 180_000);
  const gone = after.instances.find((i) => i.id === victim.id)!;
  t.regex(gone.failure ?? '', /was (terminated|shutting-down) outside Scalarium|replaced by healing/, JSON.stringify(gone));
  const replacement = online(after, 'app').find((i) => !before.instances.some((b) => b.id === i.id))!;
  t.not(replacement.id, victim.id);
  t.truthy(replacement.providerRef?.startsWith('i-'));
  t.not(replacement.providerRef, victim.providerRef);

  const since = await until('configure on every online app instance since the termination', async () => {
    const c = await cluster();
    const r = (await runs()).filter((x) => x.id > mark);
    return online(c, 'app').every((i) => r.some((x) => x.event === 'configure' && x.instanceId === i.id && x.status === 'succeeded')) &&
      !r.some((x) => x.status === 'running') && r;
  }, 120_000);
  // The cluster was reconfigured without the terminated instance at once, not only once its
  // replacement came online: a configure reached the surviving instance before the replacement's setup.
  const survivor = online(after, 'app').find((i) => i.id !== replacement.id)!;
  const setup = since.find((x) => x.event === 'setup' && x.instanceId === replacement.id);
  t.truthy(setup, JSON.stringify(since));
  t.true(since.some((x) => x.event === 'configure' && x.instanceId === survivor.id && x.id < setup!.id), JSON.stringify(since));
  const whole = await until('2 ready web processes on online instances', async () => {
    const ready = await readyOnOnline(await cluster());
    return ready.length === 2 && ready;
  }, 120_000);
  t.false(whole.some((p) => p.instance === victim.id), 'no web process is left on the terminated instance');

  const polled = await poller.stop();
  t.deepEqual(polled.errors, [], 'the app kept serving through the router');
  t.true(polled.total > 20, `only ${polled.total} requests were made`);
  t.is((await getViaRouter(routerPort, HOST)).body, 'hello from v1');
});
