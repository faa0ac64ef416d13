// The ec2 provider against moto (the EC2 API in memory) with a real server in-process: the cloud
// sandbox runs each instance's real user-data, which downloads and starts a real agent (or router)
// that connects back. Faults come from a proxy in front of moto.
import test from 'ava';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  DescribeAddressesCommand, DescribeInstancesCommand, EC2Client, RunInstancesCommand, TerminateInstancesCommand, type Address,
  type Instance as Ec2Instance,
} from '@aws-sdk/client-ec2';
import { startServer, type RunningServer } from '../../server/main.ts';
import { builtinPlugins } from '../builtin.ts';
import { loadConfig } from '../../server/core/config.ts';
import { createCluster, getClusterSettings, setRoleCounts, type Role } from '../../server/db/clusters.ts';
import { findCluster, insertInstance, listInstances, updateInstance, type Cluster, type Instance } from '../../server/db/instances.ts';
import { destroyCluster } from '../../server/core/cluster-service.ts';
import type { Principal } from '../../server/db/identity.ts';
import { stopAllLocalInstances } from '../provider-local/index.ts';
import { startMoto, type Moto } from '../../test/helpers/moto.ts';
import { startCloudSandbox, type CloudSandbox } from '../../test/helpers/cloud-sandbox.ts';
import { startFaultProxy, type FaultProxy } from '../../test/helpers/fault-proxy.ts';
import { ec2ProviderPlugin, instanceTags, TAG, userDataScript, type Ec2Provider, type Ec2Settings } from './index.ts';

const IMAGE = 'ami-03cf127a';
const REGION = 'eu-central-1';

let moto: Moto;
let proxy: FaultProxy;
let sandbox: CloudSandbox;
let running: RunningServer;
let dataDir: string;
let ec2: EC2Client;
const lines: string[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const db = () => running.scalarium.db;
const provider = (): Ec2Provider => running.scalarium.provider('ec2') as Ec2Provider;

/** One pass, then every boot and drain it started: answers the boots that failed. */
async function converge(c: Cluster): Promise<string[]> {
  await provider().ensureInstances(c);
  return provider().settled(c);
}

function settings(extra: Partial<Ec2Settings> = {}): Ec2Settings {
  return {
    region: REGION, endpoint: moto.url, image: IMAGE, instanceType: 't3.small',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    bootTimeoutMs: 30_000, retry: { baseMs: 50, capMs: 400 },
    ...extra,
  };
}

function cluster(name: string, roles: Role[], extra: Partial<Ec2Settings> = {}): Promise<Cluster> {
  return createCluster(db(), name, 'ec2', settings(extra), roles);
}

/** Instances moto has with the cluster's tags, in the given states (default: every state). */
async function tagged(c: Cluster, states?: string[]): Promise<Ec2Instance[]> {
  const { clusterUid } = (await getClusterSettings(db(), c)) as Ec2Settings;
  const out = await ec2.send(new DescribeInstancesCommand({ Filters: [
    { Name: `tag:${TAG.cluster}`, Values: [c.name] }, { Name: `tag:${TAG.clusterUid}`, Values: [clusterUid!] },
  ] }));
  const all = (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
  return all.filter((i) => !states || states.includes(i.State?.Name ?? ''));
}
const ALIVE = ['pending', 'running'];

function tag(i: Ec2Instance, key: string): string | undefined {
  return i.Tags?.find((t) => t.Key === key)?.Value;
}

async function rows(c: Cluster, states?: Instance['state'][]): Promise<Instance[]> {
  return (await listInstances(db(), c.id)).filter((r) => !states || states.includes(r.state));
}

async function stateOf(instanceId: string): Promise<string | undefined> {
  const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  return out.Reservations?.[0]?.Instances?.[0]?.State?.Name;
}

/** Every row online with its agent connected and the launched instance alive and correctly tagged. */
async function assertOnline(t: import('ava').ExecutionContext, c: Cluster, role: string, count: number): Promise<Instance[]> {
  const live = await tagged(c, ALIVE);
  t.is(live.length, count, `${count} live instance(s) of ${c.name}`);
  const online = await until(`${count} ${role} rows of ${c.name} online`, async () => {
    const list = await rows(c, ['online']);
    return list.length === count && list.every((r) => r.address) ? list : undefined;
  });
  for (const row of online) {
    const instance = live.find((i) => i.InstanceId === row.providerRef);
    t.truthy(instance, `row ${row.id} names a live instance`);
    t.is(tag(instance!, TAG.cluster), c.name);
    t.is(tag(instance!, TAG.role), role);
    t.is(tag(instance!, TAG.instance), row.id);
    t.is(tag(instance!, 'Name'), row.id);
    t.truthy(row.launchedAt);
    t.is(row.address, '127.0.0.1');
    t.truthy(running.scalarium.hub.peer(row.id), `agent of ${row.id} connected`);
    // Launched with IMDSv2 and one hop; turned off once the agent connected (apps must not reach it).
    const metadata = await until(`metadata service of ${row.id} off`, async () => {
      const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [row.providerRef!] }));
      const options = out.Reservations?.[0]?.Instances?.[0]?.MetadataOptions;
      return options?.HttpEndpoint === 'disabled' ? options : undefined;
    });
    t.is(metadata.HttpTokens, 'required');
    t.is(metadata.HttpPutResponseHopLimit, 1);
  }
  return online;
}

test.before(async () => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  moto = await startMoto();
  proxy = await startFaultProxy(moto.url);
  sandbox = await startCloudSandbox({ endpoint: moto.url, region: REGION });
  ec2 = new EC2Client({ region: REGION, endpoint: moto.url, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scalarium-ec2-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env, SCALARIUM_DATA_DIR: dataDir, SCALARIUM_APPS_DIR: `${dataDir}-apps`, SCALARIUM_PORT: '0', SCALARIUM_ROUTER_PORT: '0', SCALARIUM_HOST: '127.0.0.1',
    SCALARIUM_SERVER_ID: 'ec2-test',
  };
  delete env.DATABASE_URL;
  delete env.SCALARIUM_PLUGINS;
  running = await startServer(loadConfig(env), builtinPlugins(), (line) => lines.push(line));
  // Until the core loads this plugin itself.
  if (!running.scalarium.providers.has('ec2')) await ec2ProviderPlugin.apply(running.scalarium);
});

test.after.always(async () => {
  // Agents first, while the database is still open (their disconnects are written to it).
  await sandbox?.cleanup();
  if (dataDir) await stopAllLocalInstances(dataDir);
  if (running) {
    const deadline = Date.now() + 10_000;
    while (running.scalarium.hub.connectedPeers().length && Date.now() < deadline) await sleep(20);
    await sleep(50);
    await running.close().catch(() => {});
  }
  // Again: a reconciliation that was running while the server stopped may have restarted one.
  if (dataDir) await stopAllLocalInstances(dataDir);
  await proxy?.close();
  ec2?.destroy();
  await moto?.stop();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(`${dataDir}-apps`, { recursive: true, force: true });
});

test.serial('launches tagged instances whose user-data starts agents that connect; a second run changes nothing', async (t) => {
  const prod = await cluster('prod', [{ name: 'app', count: 2 }]);
  await converge(prod);
  const online = await assertOnline(t, prod, 'app', 2);
  for (const row of online) {
    const boot = sandbox.records.get(row.providerRef!);
    t.is(boot?.status, 'started', boot?.output);
  }

  await converge(prod);
  const after = await tagged(prod);
  t.is(after.length, 2, 'no instance launched or terminated');
  t.deepEqual(after.map((i) => i.InstanceId).sort(), online.map((r) => r.providerRef).sort());
  t.is((await rows(prod)).length, 2);
});

test.serial('scaling to 3 and back to 1 launches and terminates only this cluster\'s instances', async (t) => {
  const cluster = (await findCluster(db(), 'prod'))!;
  const untagged = await ec2.send(new RunInstancesCommand({ ImageId: IMAGE, MinCount: 1, MaxCount: 1 }));
  const foreign = await ec2.send(new RunInstancesCommand({
    ImageId: IMAGE, MinCount: 1, MaxCount: 1,
    TagSpecifications: [{ ResourceType: 'instance', Tags: instanceTags({ name: 'prod', uid: 'another-installation' }, { id: 'prod-app-foreign', role: 'app' }) }],
  }));
  const bystanders = [untagged.Instances![0]!.InstanceId!, foreign.Instances![0]!.InstanceId!];

  await setRoleCounts(db(), cluster.id, { app: 3 });
  await converge(cluster);
  const three = await assertOnline(t, cluster, 'app', 3);

  await setRoleCounts(db(), cluster.id, { app: 1 });
  await converge(cluster);
  const [survivor] = await assertOnline(t, cluster, 'app', 1);
  const oldest = [...three].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))[0]!;
  t.is(survivor!.id, oldest.id, 'the newest rows went first');
  const stopped = await rows(cluster, ['stopped']);
  t.is(stopped.length, 2);
  for (const row of stopped) {
    t.regex((await stateOf(row.providerRef!)) ?? '', /shutting-down|terminated/);
    await until(`${row.id} killed by the sandbox`, () => !sandbox.isAlive(row.providerRef!) && !running.scalarium.hub.peer(row.id));
  }
  for (const id of bystanders) t.is(await stateOf(id), 'running', `${id} is not ours and survives`);
});

test.serial('terminate() terminates only an instance tagged as this cluster\'s and this row\'s', async (t) => {
  const c = await cluster('strict', [{ name: 'app', count: 0 }]);
  const untagged = (await ec2.send(new RunInstancesCommand({ ImageId: IMAGE, MinCount: 1, MaxCount: 1 }))).Instances![0]!.InstanceId!;
  const id = 'strict-app-00000001';
  await insertInstance(db(), { id, clusterId: c.id, role: 'app', token: crypto.randomBytes(32).toString('base64url') });
  await updateInstance(db(), id, { state: 'online', providerRef: untagged });
  await provider().terminate((await rows(c))[0]!);
  t.is(await stateOf(untagged), 'running', 'not ours: left alone');
  t.is((await rows(c))[0]!.state, 'stopped');
  t.true(lines.some((l) => l.includes(`not terminating ${untagged}`)));
});

test.serial('throttling: backs off and converges', async (t) => {
  proxy.reset();
  proxy.throttle('RunInstances', 2);
  proxy.throttle('DescribeInstances', 3);
  const c = await cluster('throttled', [{ name: 'app', count: 2 }], { endpoint: proxy.url });
  await converge(c);
  await assertOnline(t, c, 'app', 2);
  t.is((await tagged(c)).length, 2, 'no duplicate');
  t.is(proxy.count('RunInstances', 'throttled'), 2);
  t.is(proxy.count('DescribeInstances', 'throttled'), 3);
  t.true(lines.some((l) => /RequestLimitExceeded\), retry/.test(l)));
});

test.serial('a lost RunInstances response makes no duplicate', async (t) => {
  proxy.reset();
  proxy.loseResponse('RunInstances', 1);
  const c = await cluster('lossy', [{ name: 'app', count: 2 }], { endpoint: proxy.url });
  await converge(c);
  await assertOnline(t, c, 'app', 2);
  t.is(proxy.count('RunInstances', 'lost-response'), 1, 'the fault happened');
  t.is((await tagged(c)).length, 2, 'exactly the desired number of tagged instances, in any state');
});

test.serial('NotFound right after a launch is "not yet known", not "gone"', async (t) => {
  proxy.reset();
  proxy.notFoundAfterLaunch(1);
  const c = await cluster('eventual', [{ name: 'app', count: 1 }], { endpoint: proxy.url });
  await converge(c);
  await assertOnline(t, c, 'app', 1);
  t.is(proxy.count('DescribeInstances', 'not-found'), 1, 'the fault happened');
  t.is((await tagged(c)).length, 1, 'no duplicate');
});

test.serial('kill -9 between RunInstances and the database write: the instance is adopted by its tags', async (t) => {
  const uid = 'phoenix-uid';
  const c = await cluster('phoenix', [{ name: 'app', count: 0 }], { clusterUid: uid });
  // What the dead server had done: the row (booting, its token set) and RunInstances — no more.
  // (Launched first here, then the row and its count in one transaction, so that the server's own
  // background reconciliation never sees the row without its instance.)
  const id = 'phoenix-app-0badcafe';
  const token = crypto.randomBytes(32).toString('base64url');
  const launched = await ec2.send(new RunInstancesCommand({
    ClientToken: id, ImageId: IMAGE, MinCount: 1, MaxCount: 1,
    UserData: Buffer.from(userDataScript({ instanceId: id, role: 'app', cluster: 'phoenix', token, serverUrl: running.url, appUids: running.scalarium.config.appUids, appPorts: running.scalarium.config.appPorts })).toString('base64'),
    TagSpecifications: [{ ResourceType: 'instance', Tags: instanceTags({ name: 'phoenix', uid }, { id, role: 'app' }) }],
  }));
  const instanceId = launched.Instances![0]!.InstanceId!;
  await db().transaction(async (trx) => {
    await insertInstance(trx, { id, clusterId: c.id, role: 'app', token });
    await updateInstance(trx, id, { state: 'booting' });
    await setRoleCounts(trx, c.id, { app: 1 });
  });

  await converge(c);
  const [row] = await assertOnline(t, c, 'app', 1);
  t.is(row!.id, id, 'the row was kept');
  t.is(row!.providerRef, instanceId, 'and its instance adopted');
  t.is((await tagged(c)).length, 1, 'nothing launched twice');
});

test.serial('an instance whose agent never connects is marked failed after the boot timeout', async (t) => {
  sandbox.skip((i) => i.tags[TAG.cluster] === 'stuck');
  const c = await cluster('stuck', [{ name: 'app', count: 1 }], { bootTimeoutMs: 2_000 });
  const started = Date.now();
  const failures = await converge(c);
  t.true(Date.now() - started < 15_000, 'no waiting forever');
  const failedId = /(stuck-app-[0-9a-f]+): agent did not connect/.exec(failures.join('\n'))?.[1];
  const row = (await rows(c)).find((r) => r.id === failedId);
  t.is(row?.state, 'failed');
  t.regex(row?.failure ?? '', /agent did not connect within 2 s/);
  t.regex((await stateOf(row!.providerRef!)) ?? '', /shutting-down|terminated/, 'its instance was terminated');
  // (Left at 1, the server's reconciliation would keep replacing it.)
  await setRoleCounts(db(), c.id, { app: 0 });
});

test.serial('a tagged instance no row wants is reported, then terminated after the grace period', async (t) => {
  const uid = 'tidy-uid';
  const c = await cluster('tidy', [{ name: 'app', count: 1 }], { clusterUid: uid, orphanGraceMs: 2_500 });
  await converge(c);
  const [row] = await assertOnline(t, c, 'app', 1);

  const ghost = await ec2.send(new RunInstancesCommand({
    ImageId: IMAGE, MinCount: 1, MaxCount: 1,
    TagSpecifications: [{ ResourceType: 'instance', Tags: instanceTags({ name: 'tidy', uid }, { id: 'tidy-app-ghost', role: 'app' }) }],
  }));
  const ghostId = ghost.Instances![0]!.InstanceId!;
  await converge(c);
  t.true(lines.some((l) => l.includes(`orphan instance ${ghostId}`)), 'reported');
  t.is(await stateOf(ghostId), 'running', 'not terminated before its grace period');

  await sleep(2_600);
  await converge(c);
  t.regex((await stateOf(ghostId)) ?? '', /shutting-down|terminated/, 'terminated after it');
  t.is(await stateOf(row!.providerRef!), 'running', 'the wanted instance lives on');
});

test.serial('routers get an Elastic IP, released when they are terminated', async (t) => {
  const c = await cluster('edge', [{ name: 'router', count: 1 }], { elasticIpForRouters: true });
  await converge(c);
  const [row] = await assertOnline(t, c, 'router', 1);
  t.is(running.scalarium.hub.peer(row!.id)?.kind, 'router');
  const addresses = async () => (await ec2.send(new DescribeAddressesCommand({ Filters: [{ Name: `tag:${TAG.instance}`, Values: [row!.id] }] }))).Addresses ?? [];
  const [address] = await addresses();
  t.is(address?.InstanceId, row!.providerRef!);

  await setRoleCounts(db(), c.id, { router: 0 });
  await converge(c);
  t.deepEqual(await addresses(), [], 'released');
  t.is((await rows(c))[0]!.state, 'stopped');
  t.regex((await stateOf(row!.providerRef!)) ?? '', /shutting-down|terminated/);
});

/** The Elastic IPs moto has with the cluster's name and uid tags. */
async function clusterAddresses(c: Cluster): Promise<Address[]> {
  const { clusterUid } = (await getClusterSettings(db(), c)) as Ec2Settings;
  const out = await ec2.send(new DescribeAddressesCommand({ Filters: [
    { Name: `tag:${TAG.cluster}`, Values: [c.name] }, { Name: `tag:${TAG.clusterUid}`, Values: [clusterUid!] },
  ] }));
  return out.Addresses ?? [];
}

test.serial('a failed router\'s Elastic IP goes to its replacement (terminated outside Scalarium, or replaced by healing); scaled to 0 it is released', async (t) => {
  const c = await cluster('gate', [{ name: 'router', count: 1 }], { elasticIpForRouters: true });
  await converge(c);
  const [first] = await assertOnline(t, c, 'router', 1);
  const [address] = await clusterAddresses(c);
  t.is(address?.InstanceId, first!.providerRef!);
  const { AllocationId, PublicIp } = address!;
  t.truthy(AllocationId);

  /** The one address of the cluster is the same one, attached to the row's instance and tagged as the row's. */
  const assertKeptFor = async (row: Instance) => {
    const all = await clusterAddresses(c);
    t.is(all.length, 1, JSON.stringify(all));
    t.is(all[0]!.AllocationId, AllocationId);
    t.is(all[0]!.PublicIp, PublicIp, 'the cluster\'s public address did not change');
    t.is(all[0]!.InstanceId, row.providerRef!);
    t.is(all[0]!.Tags?.find((x) => x.Key === TAG.instance)?.Value, row.id);
    t.falsy(all[0]!.Tags?.some((x) => x.Key === TAG.freeForRole), 'no longer free');
    t.true(lines.some((l) => l.includes(`${row.id}: Elastic IP ${PublicIp} (kept from a router that was replaced)`)), 'adopted, not allocated');
  };

  // Terminated behind Scalarium's back: the row fails, its replacement adopts the address.
  await ec2.send(new TerminateInstancesCommand({ InstanceIds: [first!.providerRef!] }));
  await converge(c);
  const [second] = await assertOnline(t, c, 'router', 1);
  t.not(second!.id, first!.id);
  t.not(second!.providerRef, first!.providerRef);
  t.regex((await rows(c)).find((r) => r.id === first!.id)?.failure ?? '', /terminated outside Scalarium/);
  await assertKeptFor(second!);

  // Replaced by healing: the row is given up (failed), then terminated; the address stays free meanwhile.
  await updateInstance(db(), second!.id, { state: 'failed', failure: 'replaced by healing: no heartbeat for 6 s (test)' });
  await provider().terminate(second!);
  const free = await clusterAddresses(c);
  t.is(free.length, 1);
  t.is(free[0]!.AllocationId, AllocationId);
  t.is(free[0]!.Tags?.find((x) => x.Key === TAG.freeForRole)?.Value, 'router');
  t.falsy(free[0]!.Tags?.some((x) => x.Key === TAG.instance), 'it belongs to no row while free');
  await converge(c);
  const [third] = await assertOnline(t, c, 'router', 1);
  t.false([first!.id, second!.id].includes(third!.id));
  await assertKeptFor(third!);

  // The router role scaled down: the address is released.
  await setRoleCounts(db(), c.id, { router: 0 });
  await converge(c);
  t.deepEqual(await clusterAddresses(c), [], 'released');
  t.is((await tagged(c, ALIVE)).length, 0);
});

test.serial('a free Elastic IP is released when routers are scaled down before a replacement took it, and when the cluster is destroyed', async (t) => {
  const c = await cluster('portal', [{ name: 'router', count: 1 }], { elasticIpForRouters: true });
  await converge(c);
  const [row] = await assertOnline(t, c, 'router', 1);
  // Replaced by healing, but the role is scaled to 0 before any replacement: the sweep releases it.
  await updateInstance(db(), row!.id, { state: 'failed', failure: 'replaced by healing: test' });
  await provider().terminate(row!);
  t.is((await clusterAddresses(c))[0]?.Tags?.find((x) => x.Key === TAG.freeForRole)?.Value, 'router');
  await setRoleCounts(db(), c.id, { router: 0 });
  await converge(c);
  t.deepEqual(await clusterAddresses(c), [], 'not wanted any more: released');

  // Destroyed with an address kept free: released with the cluster.
  await setRoleCounts(db(), c.id, { router: 1 });
  await converge(c);
  const [next] = await assertOnline(t, c, 'router', 1);
  await updateInstance(db(), next!.id, { state: 'failed', failure: 'replaced by healing: test' });
  await provider().terminate(next!);
  t.is((await clusterAddresses(c)).length, 1, 'kept free');
  const uid = ((await getClusterSettings(db(), c)) as Ec2Settings).clusterUid!;
  await destroyCluster(running.scalarium, { user: { name: 'ec2-test' }, tokenName: 'test' } as unknown as Principal, 'portal');
  const left = await ec2.send(new DescribeAddressesCommand({ Filters: [{ Name: `tag:${TAG.cluster}`, Values: ['portal'] }, { Name: `tag:${TAG.clusterUid}`, Values: [uid] }] }));
  t.deepEqual(left.Addresses ?? [], [], 'released with the cluster');
  t.true(lines.some((l) => /cluster portal destroyed: released Elastic IP/.test(l)), 'the free one, once the cluster was gone');
});

test.serial('a scale while an instance boots launches the others at once; the slow boot holds up only its own row', async (t) => {
  let first: string | undefined;
  sandbox.skip((i) => i.tags[TAG.cluster] === 'patient' && (first ??= i.tags[TAG.instance]) === i.tags[TAG.instance]);
  const c = await cluster('patient', [{ name: 'app', count: 1 }], { bootTimeoutMs: 120_000 });
  await provider().ensureInstances(c);
  const [slow] = await rows(c, ['booting']);
  t.truthy(slow?.providerRef, 'launched, and the pass did not wait for its agent');

  await setRoleCounts(db(), c.id, { app: 3 });
  await provider().ensureInstances(c);
  const launched = await rows(c, ['booting', 'setup', 'online']);
  t.is(launched.length, 3);
  t.true(launched.every((r) => r.providerRef), 'both new rows were launched in the same pass');
  t.is((await rows(c)).find((r) => r.id === slow!.id)?.state, 'booting', 'the first boot is still waited for');
  await until('the two new instances online', async () => (await rows(c, ['online'])).length === 2, 60_000);
  t.is(first, slow!.id, 'the sandbox held back the first instance');
  t.is((await rows(c)).find((r) => r.id === slow!.id)?.state, 'booting');

  await setRoleCounts(db(), c.id, { app: 0 });
  await converge(c);
  t.deepEqual((await rows(c)).map((r) => r.state), ['stopped', 'stopped', 'stopped']);
  t.is((await tagged(c, ALIVE)).length, 0, 'the booting instance was terminated with the others');
});

test.serial('launches that fail back off per role with the reason on the row; the runaway guard caps launches per hour', async (t) => {
  proxy.reset();
  proxy.refuse('RunInstances', 'InsufficientInstanceCapacity', 100);
  const c = await cluster('broken', [{ name: 'app', count: 1 }], { endpoint: proxy.url, launchBackoffMs: 60_000 });
  const error = await t.throwsAsync(provider().ensureInstances(c));
  t.regex(error!.message, /1 launch\(es\) failed/);
  const [row] = await rows(c);
  t.is(row!.state, 'requested', 'nothing was launched: the row waits');
  t.regex(row!.failure ?? '', /^launch failed: .*; role app: launching paused until \d\d:\d\d:\d\d UTC: it failed once/);
  const attempts = proxy.count('RunInstances');
  await provider().ensureInstances(c);
  t.is(proxy.count('RunInstances'), attempts, 'no launch during the backoff');
  t.regex((await rows(c))[0]!.failure ?? '', /role app: launching paused until .*InsufficientInstanceCapacity/);
  await setRoleCounts(db(), c.id, { app: 0 });
  await converge(c);
  proxy.reset();

  const capped = await cluster('capped', [{ name: 'app', count: 2 }], { maxLaunchesPerHour: 1 });
  await converge(capped);
  const states = (await rows(capped)).map((r) => r.state).sort();
  t.deepEqual(states, ['online', 'requested']);
  t.regex((await rows(capped, ['requested']))[0]!.failure ?? '', /runaway guard: 1 launches in the last hour/);
  t.is((await tagged(capped, ALIVE)).length, 1);
  await setRoleCounts(db(), capped.id, { app: 0 });
  await converge(capped);
});
