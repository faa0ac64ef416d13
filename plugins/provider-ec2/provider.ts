// The ec2 provider: converges a cluster's instance rows onto EC2 (or an EC2-compatible cloud).
//
// ensureInstances(cluster), one pass, idempotent and restart-safe:
//   1. what the cloud says: rows whose instance the cloud terminated behind our back are failed;
//      rows a previous life was launching (booting, no instance id) are adopted by their tags, or
//      failed and replaced (their launch, if any, carries a token nobody knows any more);
//   2. rows to match the role counts: new rows are 'requested'; surplus rows go, newest first
//      (the shutdown event of server/core/lifecycle.ts, then termination);
//   3. every requested row is adopted (an instance with its tags exists) or launched (ClientToken =
//      row id, tags, user-data with a fresh instance token), all at once, unless its role is
//      backing off after failures or the cluster hit its launches-per-hour guard (launch-guard.ts);
//   4. orphans — instances with our tags that no row wants — are reported, and terminated once
//      they have been orphans for orphanGraceMs; the routers' Elastic IPs are sorted out (a failed
//      router's is kept free for its replacement while the cluster wants it, elastic-ips.ts).
// The pass does not wait for boots or drains: each launched row is then 'booting', watched on its
// own (background.ts) until its agent connects and its setup event has run ('online'); an agent
// that does not connect within bootTimeoutMs of the launch fails that row only, and its instance
// is terminated. Surplus rows are drained and terminated on their own the same way. So a scale
// while an instance boots launches at once, and a slow boot holds up nothing but itself.
import crypto from 'node:crypto';
import {
  configureCluster, shutdownInstance, waitUntilOnline, findCluster, findClusterById, findInstance, giveUpInstance, insertInstance, listInstances,
  setInstanceToken, updateInstance, listRoles, limitEnv, type Scalarium, type Provider, type Cluster, type Instance,
  type InstanceState, type Peer,
} from '../../server/plugin-api.ts';
import type { Ec2Cloud, CloudInstance } from './cloud.ts';
import { addressName, planAddresses } from './address-plan.ts';
import { findOrphans, OrphanTracker } from './orphans.ts';
import { KeyedSerial } from './serial.ts';
import { BackgroundWork } from './background.ts';
import { RoleBackoff, describe, launchesPerHour, recentLaunches } from './launch-guard.ts';
import { loadSettings, type ResolvedEc2Settings } from './settings.ts';
import { ALIVE_STATES, TAG, tagValue } from './tags.ts';
import { serverBaseUrl, userDataScript } from './user-data.ts';

/** Row states that count towards a role's desired instance count. */
const COUNTED: InstanceState[] = ['requested', 'booting', 'setup', 'online'];
const GONE_STATES = ['shutting-down', 'terminated'];
/** The role whose instances get Elastic IPs (setting elasticIpForRouters). */
const ROUTER = 'router';
/** How long a destroyed cluster's identity is remembered from its last termination (to release its addresses). */
const FORGET_MS = 10 * 60_000;
/** The setup event gets at least this long once the agent has connected. */
const SETUP_TIMEOUT_MS = 60_000;

export interface Ec2Provider extends Provider {
  /** Reports orphans and terminates those past their grace period (also part of ensureInstances). */
  sweepOrphans(cluster: Cluster): Promise<void>;
  /**
   * Waits until no boot or drain of the cluster is under way (tests; the server never waits);
   * answers the boots that failed meanwhile, as "row: reason".
   */
  settled(cluster: Cluster): Promise<string[]>;
  /** The server is stopping: boot waits end (their rows stay booting for the next life). */
  close(): Promise<void>;
}

interface Context {
  cluster: Cluster;
  settings: ResolvedEc2Settings;
  cloud: Ec2Cloud;
  close(): void;
}

export class BootFailure extends Error {}
/** The server stopped while a row was booting: not the row's fault, the next life adopts it. */
class Stopping extends Error {}

function seconds(ms: number): string {
  return ms < 10_000 ? `${Math.round(ms / 100) / 10} s` : `${Math.round(ms / 1000)} s`;
}

function newToken(): string {
  return crypto.randomBytes(32).toString('base64url');
}

function rowId(cluster: string, role: string): string {
  return `${`${cluster}-${role}`.slice(0, 55).replace(/-+$/, '')}-${crypto.randomBytes(4).toString('hex')}`;
}

/** The address the server saw the agent connect from (IPv4-mapped IPv6 unwrapped). */
function plainAddress(address: string): string {
  return address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
}

/** Newest first: the rows scale-down removes first. */
function newestFirst(rows: Instance[]): Instance[] {
  return [...rows].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
}

export function createEc2Provider(scalarium: Scalarium): Ec2Provider {
  const { db, hub } = scalarium;
  const serial = new KeyedSerial<number>();
  // The cluster's Elastic IP bookkeeping, one step at a time (claims run in boots, apart from the pass).
  const addressSteps = new KeyedSerial<number>();
  // Clusters recently terminated from, by name: once one is destroyed its settings are gone, and
  // the addresses it kept free are released with what was remembered (its uid and credentials).
  const lastTerminated = new Map<string, { id: number; at: number; settings: ResolvedEc2Settings }>();
  const trackers = new Map<number, OrphanTracker>();
  const backoffs = new Map<number, RoleBackoff>();
  const work = new BackgroundWork();
  const warned = new Set<string>();
  const say = (line: string) => scalarium.say(`ec2: ${line}`);
  /** A failure said once, not once per pass, until it changes (or stops). */
  const lastSaid = new Map<string, string>();
  const sayOnce = (key: string, line: string) => {
    if (lastSaid.get(key) === line) return;
    lastSaid.set(key, line);
    say(line);
  };
  const stopping = new AbortController();

  /** Between steps: once the server is stopping (its database about to close), stop working. */
  function checkStopping(cluster: Cluster): void {
    if (stopping.signal.aborted) throw new Stopping(`cluster ${cluster.name}: the server is stopping`);
  }

  // Boots waiting for their agent (or router), woken by the instanceConnected hook: by then the
  // instance's row says it is connected and where from.
  const waiting = new Map<string, Set<() => void>>();
  scalarium.hooks.instanceConnected.tapPromise('provider-ec2', async ({ instance }) => {
    for (const wake of waiting.get(instance.id) ?? []) wake();
  });
  // A destroyed cluster (every instance terminated by now) lets go of the addresses it kept free.
  scalarium.hooks.destroyed.tapPromise('provider-ec2', async ({ kind, name }) => {
    if (kind !== 'cluster') return;
    const last = lastTerminated.get(name);
    lastTerminated.delete(name);
    if (!last || Date.now() - last.at > FORGET_MS) return;
    try {
      if ((await findCluster(db, name))?.id === last.id) return;
      const [{ createEc2Client }, { Ec2Cloud }] = await Promise.all([import('./client.ts'), import('./cloud.ts')]);
      const client = createEc2Client(last.settings);
      try {
        const released = await new Ec2Cloud(client, { name, uid: last.settings.clusterUid }, last.settings.retry, say).addresses.releaseAll();
        if (released.length) say(`cluster ${name} destroyed: released Elastic IP ${released.join(', ')}`);
      } finally {
        client.destroy();
      }
    } catch (error) {
      say(`cluster ${name} destroyed: releasing its Elastic IPs failed: ${(error as Error).message}`);
    }
  });

  /** Resolves with the instance's peer once its agent (or router) has connected. */
  function waitForAgent(id: string, timeoutMs: number, signal: AbortSignal): Promise<Peer> {
    const existing = hub.peer(id);
    if (existing) return Promise.resolve(existing);
    if (signal.aborted) return Promise.reject(new Stopping('the wait was called off'));
    return new Promise((resolve, reject) => {
      const wakers = waiting.get(id) ?? new Set<() => void>();
      waiting.set(id, wakers);
      const done = (settle: () => void) => {
        clearTimeout(timer);
        wakers.delete(onConnected);
        if (!wakers.size) waiting.delete(id);
        signal.removeEventListener('abort', onStop);
        settle();
      };
      const onConnected = () => {
        const peer = hub.peer(id);
        if (peer) done(() => resolve(peer));
      };
      const onStop = () => done(() => reject(new Stopping('the wait was called off')));
      const timer = setTimeout(() => done(() => reject(new BootFailure('timeout'))), timeoutMs);
      wakers.add(onConnected);
      signal.addEventListener('abort', onStop);
    });
  }

  async function context(cluster: Cluster): Promise<Context> {
    const settings = await loadSettings(db, cluster);
    // The AWS SDK loads with the first ec2 cluster, not with every server (it takes about a second).
    const [{ createEc2Client }, { Ec2Cloud }] = await Promise.all([import('./client.ts'), import('./cloud.ts')]);
    const client = createEc2Client(settings);
    const cloud = new Ec2Cloud(client, { name: cluster.name, uid: settings.clusterUid }, settings.retry, say);
    return { cluster, settings, cloud, close: () => client.destroy() };
  }

  async function withContext<T>(cluster: Cluster, task: (ctx: Context) => Promise<T>): Promise<T> {
    checkStopping(cluster);
    const ctx = await context(cluster);
    try {
      return await task(ctx);
    } finally {
      ctx.close();
    }
  }

  function serverUrl(ctx: Context): string {
    const url = serverBaseUrl(ctx.settings.serverUrl || scalarium.baseUrl);
    const host = new URL(url).hostname;
    if (!ctx.settings.serverUrl && /^(127\.|localhost$|\[::1\]$)/.test(host) && !warned.has(`loopback:${ctx.cluster.id}`)) {
      warned.add(`loopback:${ctx.cluster.id}`);
      say(`cluster ${ctx.cluster.name}: instances will reach the server at ${url}, a loopback address; set the cluster's serverUrl`);
    }
    return url;
  }

  /** The row gives up: failed with a reason, its token revoked so a late agent cannot join. */
  async function fail(row: Instance, reason: string): Promise<void> {
    await giveUpInstance(db, row.id, reason);
    say(`${row.id} failed: ${reason}`);
  }

  /**
   * Terminates the row's instance(s) — only ones tagged as this cluster's and this row's — and
   * releases its Elastic IP; the row ends in `finalState` with its token revoked.
   */
  async function terminateRow(ctx: Context, row: Instance, finalState: 'stopped' | 'failed' = 'stopped'): Promise<void> {
    const targets = await ctx.cloud.findRow(row.id);
    if (row.providerRef && !targets.some((t) => t.id === row.providerRef)) {
      // Not found by its tags: it may be too new to be described, or gone. Ask for it by id, briefly.
      const known = await ctx.cloud.waitUntilKnown(row.providerRef, Date.now() + 10_000).catch(() => undefined);
      if (known && ALIVE_STATES.includes(known.state)) {
        if (tagValue(known.tags, TAG.instance) === row.id) targets.push(known);
        else say(`${row.id}: not terminating ${known.id}: it is not tagged as this instance's`);
      } else if (!known) say(`${row.id}: instance ${row.providerRef} is not known to the cloud; if it shows up it is an orphan and will be terminated`);
    }
    if (row.role === ROUTER) {
      // A failed row's address is kept for its replacement (while wanted); any other row is leaving
      // for good (scaled down, its cluster destroyed): its address goes with it.
      const failed = (await findInstance(db, row.id))?.state === 'failed';
      await (failed ? sortOutAddresses(ctx) : releaseAddresses(ctx, row))
        .catch((error: Error) => say(`${row.id}: its Elastic IP: ${error.message}; the next sweep sorts it out`));
    }
    const terminated = await ctx.cloud.terminate(targets);
    if (terminated.length) say(`${row.id}: terminating ${terminated.join(', ')}`);
    await setInstanceToken(db, row.id, newToken());
    if (finalState === 'stopped') await updateInstance(db, row.id, { state: 'stopped' });
  }

  /**
   * How a surplus row leaves: the shutdown event (draining, its processes moved elsewhere, the
   * server-side hook and the agent side), then termination, then `stopped`.
   */
  async function retire(ctx: Context, row: Instance): Promise<void> {
    try {
      await shutdownInstance(scalarium, row, () => terminateRow(ctx, row));
    } catch (error) {
      // The row lets go of its instance either way; the orphan sweep finishes the termination.
      await setInstanceToken(db, row.id, newToken());
      await updateInstance(db, row.id, { state: 'stopped' });
      say(`${row.id}: shutdown or termination failed (${(error as Error).message}); the orphan sweep will terminate what is left`);
    }
  }

  /** Step 1: bring rows in line with what the cloud reports. */
  async function settleWithCloud(ctx: Context): Promise<void> {
    const cloud = await ctx.cloud.describeCluster();
    checkStopping(ctx.cluster);
    const gone: Instance[] = [];
    for (const row of await listInstances(db, ctx.cluster.id)) {
      if (!COUNTED.includes(row.state)) continue;
      if (row.providerRef) {
        // Only an explicit "terminated" counts: an instance the cloud does not list is unknown, not gone.
        const instance = cloud.find((i) => i.id === row.providerRef);
        if (instance && GONE_STATES.includes(instance.state)) {
          await fail(row, `instance ${instance.id} was ${instance.state} outside Scalarium${instance.stateReason ? ` (${instance.stateReason})` : ''}`);
          gone.push(row);
        }
      } else if (row.state !== 'requested') {
        // A previous life launched (or was launching) this row but its instance id was never
        // written: adopt the instance by its tags. (Its agent may even be connected already.)
        const [found] = await ctx.cloud.findRow(row.id);
        if (found) {
          await updateInstance(db, row.id, { providerRef: found.id, launchedAt: row.launchedAt ?? new Date().toISOString() });
          say(`${row.id}: adopted ${found.id} by its tags (its launch was interrupted)`);
        } else if (row.state === 'booting') {
          // Maybe it never launched, maybe the cloud does not list it yet. Its token is lost either
          // way, so a new row (new ClientToken) takes its place; a late instance becomes an orphan.
          await fail(row, 'launch interrupted (server restart) and no instance found by its tags: replaced');
        }
      }
    }
    // A router's address is kept for its replacement (launched later in this pass).
    if (gone.some((r) => r.role === ROUTER)) {
      await sortOutAddresses(ctx).catch((error: Error) => say(`cluster ${ctx.cluster.name}: sorting out Elastic IPs: ${error.message}`));
    }
    // The routers stop sending requests to what is gone now, not once the replacement is online
    // (configure publishes their tables). Not waited for: the pass never waits on agents.
    const left = gone.filter((r) => r.state === 'online').map((r) => r.id);
    if (left.length) {
      void configureCluster(scalarium, ctx.cluster, `${left.join(', ')} terminated outside Scalarium`)
        .catch((error: Error) => say(`cluster ${ctx.cluster.name}: configure without ${left.join(', ')}: ${error.message}`));
    }
  }

  /** How many Elastic IPs the cluster wants: one per router it wants, if its routers get them. */
  async function wantedAddresses(ctx: Context): Promise<number> {
    if (!ctx.settings.elasticIpForRouters) return 0;
    return (await listRoles(db, ctx.cluster.id)).find((r) => r.name === ROUTER)?.count ?? 0;
  }

  /**
   * The addresses no router row holds — free ones, those of failed or stopped rows: kept free for
   * the role as long as it wants more than its rows hold, released beyond that.
   */
  function sortOutAddresses(ctx: Context): Promise<void> {
    return addressSteps.run(ctx.cluster.id, async () => {
      // Cloud first, rows second: a row that claims an address meanwhile is seen holding it.
      const addresses = await ctx.cloud.addresses.list();
      if (!addresses.length) return;
      const rows = new Map((await listInstances(db, ctx.cluster.id)).map((r) => [r.id, r.state] as const));
      const plan = planAddresses(addresses, ROUTER, await wantedAddresses(ctx), rows, COUNTED);
      for (const address of plan.free) {
        await ctx.cloud.addresses.makeFree(address, ROUTER);
        say(`cluster ${ctx.cluster.name}: Elastic IP ${addressName(address)}${address.row ? ` of ${address.row}` : ''} kept for the next ${ROUTER}`);
      }
      for (const address of plan.release) {
        await ctx.cloud.addresses.release(address);
        say(`cluster ${ctx.cluster.name}: released Elastic IP ${addressName(address)}${address.row ? ` of ${address.row}` : ''} (not wanted any more)`);
      }
    });
  }

  /** The row leaves for good: its addresses are released. */
  function releaseAddresses(ctx: Context, row: Instance): Promise<void> {
    return addressSteps.run(ctx.cluster.id, async () => {
      const released = await ctx.cloud.addresses.releaseRow(row.id);
      if (released.length) say(`${row.id}: released Elastic IP ${released.join(', ')}`);
    });
  }

  /** A router's address — its own, one kept free for routers, or a new one — associated with its instance. */
  async function attachAddress(ctx: Context, row: Instance, instanceId: string, deadline: number): Promise<void> {
    const { address, how } = await addressSteps.run(ctx.cluster.id, () => ctx.cloud.addresses.claim(row));
    await ctx.cloud.addresses.associate(address, instanceId, deadline);
    say(`${row.id}: Elastic IP ${addressName(address)}${how === 'adopted' ? ' (kept from a router that was replaced)' : ''}`);
  }

  /** Step 2: rows to match the role counts. Returns the surplus rows, newest first. */
  async function matchCounts(ctx: Context): Promise<Instance[]> {
    const rows = await listInstances(db, ctx.cluster.id);
    const roles = await listRoles(db, ctx.cluster.id);
    const names = new Set([...roles.map((r) => r.name), ...rows.map((r) => r.role)]);
    const surplus: Instance[] = [];
    for (const role of names) {
      const desired = roles.find((r) => r.name === role)?.count ?? 0;
      const live = rows.filter((r) => r.role === role && COUNTED.includes(r.state));
      if (live.length > desired) surplus.push(...newestFirst(live).slice(0, live.length - desired));
      for (let n = live.length; n < desired; n++) {
        const id = rowId(ctx.cluster.name, role);
        await insertInstance(db, { id, clusterId: ctx.cluster.id, role, token: newToken() });
        say(`${id}: requested (role ${role} of cluster ${ctx.cluster.name})`);
      }
    }
    return surplus;
  }

  /** Step 3 for one row: adopt or launch (the boot is waited for apart, in awaitBoot). */
  async function launchRow(ctx: Context, row: Instance): Promise<void> {
    let found: CloudInstance;
    const [existing] = await ctx.cloud.findRow(row.id);
    checkStopping(ctx.cluster);
    if (existing) {
      found = existing;
      say(`${row.id}: adopted ${existing.id} by its tags`);
    } else {
      if (!ctx.settings.image) throw new BootFailure(`cluster ${ctx.cluster.name} has no image to launch`);
      // The token goes into the user-data: set once per launch, kept across its retries.
      const token = newToken();
      await setInstanceToken(db, row.id, token);
      await updateInstance(db, row.id, { state: 'booting', failure: null });
      const userData = userDataScript({ instanceId: row.id, role: row.role, cluster: ctx.cluster.name, token, serverUrl: serverUrl(ctx), appUids: scalarium.config.appUids, appPorts: scalarium.config.appPorts, limits: limitEnv() });
      let launched: { instance: CloudInstance; adopted: boolean };
      try {
        launched = await ctx.cloud.launch(row, {
          image: ctx.settings.image, instanceType: ctx.settings.instanceType, userData, subnet: ctx.settings.subnet,
          keyPair: ctx.settings.keyPair, securityGroupIds: ctx.settings.securityGroupIds, spot: ctx.settings.spot,
        }, { lookedFirst: true });
      } catch (error) {
        // Nothing was launched: the row waits for its next turn (after the role's backoff).
        await updateInstance(db, row.id, { state: 'requested' });
        throw new BootFailure((error as Error).message);
      }
      found = launched.instance;
      say(`${row.id}: ${launched.adopted ? 'adopted' : 'launched'} ${found.id}`);
    }
    // (An adopted instance's agent may have connected meanwhile: its row is past booting then.)
    const booting = row.state === 'requested' && !hub.peer(row.id);
    await updateInstance(db, row.id, { providerRef: found.id, launchedAt: row.launchedAt ?? new Date().toISOString(), failure: null, ...(booting ? { state: 'booting' as const } : {}) });
  }

  /** After its launch: waits for the row's agent and its setup, within the boot timeout. */
  async function awaitBoot(ctx: Context, row: Instance, signal: AbortSignal): Promise<void> {
    const providerRef = row.providerRef!;
    const deadline = Date.parse(row.launchedAt ?? row.createdAt) + ctx.settings.bootTimeoutMs;
    const connected = hub.peer(row.id);
    if (connected) return settleConnected(ctx, row, connected, deadline);

    // Right after a launch the cloud may not know the id yet: that is "not yet known", never "gone".
    const known = await ctx.cloud.waitUntilKnown(providerRef, deadline);
    if (known && GONE_STATES.includes(known.state)) {
      throw new BootFailure(`instance ${known.id} was ${known.state} while booting${known.stateReason ? ` (${known.stateReason})` : ''}`);
    }
    if (row.role === ROUTER && ctx.settings.elasticIpForRouters) {
      try {
        await attachAddress(ctx, row, providerRef, deadline);
      } catch (error) {
        say(`${row.id}: could not attach an Elastic IP: ${(error as Error).message}`);
      }
    }
    let peer: Peer;
    try {
      peer = await waitForAgent(row.id, Math.max(0, deadline - Date.now()), signal);
    } catch (error) {
      if (error instanceof Stopping) throw error;
      throw new BootFailure(`agent did not connect within ${seconds(ctx.settings.bootTimeoutMs)} of the launch of ${providerRef}`);
    }
    await settleConnected(ctx, row, peer, deadline);
  }

  /**
   * After the connection: the setup event must finish (agents; routers are online at once), and
   * the row gets an address — the one the agent advertised (instance-sync writes it), else the
   * one the server saw it connect from.
   */
  async function settleConnected(ctx: Context, row: Instance, peer: Peer, deadline: number): Promise<void> {
    const setupMs = Math.max(deadline - Date.now(), SETUP_TIMEOUT_MS);
    if (row.role !== 'router' && peer.kind === 'agent') {
      try {
        await waitUntilOnline(scalarium, row.id, setupMs);
      } catch (error) {
        throw new BootFailure(`setup did not finish: ${(error as Error).message}`);
      }
    } else {
      const until = Date.now() + setupMs;
      while (!(await findInstance(db, row.id))?.lastSeenAt && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    }
    const settled = await findInstance(db, row.id);
    if (!settled?.address) await updateInstance(db, row.id, { address: plainAddress(peer.address) });
    if (settled?.providerRef && !ctx.settings.keepMetadata) {
      await ctx.cloud.closeMetadata(settled.providerRef).catch((error: Error) => say(`${row.id}: could not turn the metadata service off: ${error.message}`));
    }
  }

  async function sweep(ctx: Context): Promise<void> {
    // Cloud first, rows second: a row written meanwhile is seen, never taken for missing.
    const cloud = await ctx.cloud.describeCluster();
    checkStopping(ctx.cluster);
    const rows = await listInstances(db, ctx.cluster.id);
    const orphans = findOrphans(cloud, rows, { keepFailed: ctx.settings.keepFailedInstances });
    let tracker = trackers.get(ctx.cluster.id);
    if (!tracker) trackers.set(ctx.cluster.id, (tracker = new OrphanTracker()));
    const { fresh, due } = tracker.observe(orphans, ctx.settings.orphanGraceMs);
    for (const orphan of fresh) {
      say(`cluster ${ctx.cluster.name}: orphan instance ${orphan.id} (tagged ${TAG.instance}=${tagValue(orphan.tags, TAG.instance) ?? '?'}) is wanted by no instance row; terminating it after ${seconds(ctx.settings.orphanGraceMs)}`);
    }
    if (due.length) {
      const terminated = await ctx.cloud.terminate(due);
      for (const id of terminated) tracker.forget(id);
      say(`cluster ${ctx.cluster.name}: terminated orphan instance(s) ${terminated.join(', ')}`);
    }
    // Addresses no router row holds (a rowless orphan's, a failed row's, free ones beyond what the
    // cluster wants) are kept free or released: none is left behind for ever.
    if (ctx.settings.elasticIpForRouters || rows.some((r) => r.role === ROUTER)) {
      const key = `addresses:${ctx.cluster.id}`;
      await sortOutAddresses(ctx).then(() => lastSaid.delete(key), (error: Error) => sayOnce(key, `cluster ${ctx.cluster.name}: sorting out Elastic IPs failed: ${error.message}`));
    }
  }

  function backoffOf(cluster: Cluster): RoleBackoff {
    let backoff = backoffs.get(cluster.id);
    if (!backoff) backoffs.set(cluster.id, (backoff = new RoleBackoff()));
    return backoff;
  }

  /** A row whose launch was held back says why (once, not once per pass). */
  async function holdBack(row: Instance, reason: string): Promise<void> {
    if (row.failure === reason) return;
    await updateInstance(db, row.id, { failure: reason.slice(0, 1000) });
    say(`${row.id}: not launched: ${reason}`);
  }

  /** The row's boot, watched apart from the pass: only this row fails when it does not come up. */
  function watchBoot(cluster: Cluster, rowId: string): void {
    work.start(cluster.id, rowId, (called) => withContext(cluster, async (ctx) => {
      const row = await findInstance(db, rowId);
      if (!row?.providerRef || !['requested', 'booting'].includes(row.state)) return;
      // Called off (the row is retired meanwhile) or the server stops: either way not the row's fault.
      const signal = AbortSignal.any([called, stopping.signal]);
      try {
        await awaitBoot(ctx, row, signal);
        backoffOf(cluster).succeeded(row.role);
      } catch (error) {
        if (error instanceof Stopping || signal.aborted) return;
        const reason = (error as Error).message;
        // Anything but a BootFailure (the cloud unreachable, say) leaves the row for the next pass.
        if (!(error instanceof BootFailure)) {
          say(`${rowId}: waiting for its boot failed (${reason}); the next pass looks again`);
          return;
        }
        work.recordFailure(cluster.id, `${rowId}: ${reason}`);
        backoffOf(cluster).failed(row.role, `${rowId}: ${reason}`, ctx.settings.launchBackoffMs);
        const fresh = (await findInstance(db, rowId)) ?? row;
        await fail(fresh, reason);
        if (fresh.providerRef && !ctx.settings.keepFailedInstances) {
          await terminateRow(ctx, fresh, 'failed').catch((e: Error) => say(`${rowId}: terminating its instance failed: ${e.message}`));
        }
      }
    }));
  }

  /**
   * A surplus row drains and goes apart from the pass (draining moves its processes: that takes a
   * while); a boot still being waited for is called off first.
   */
  function watchRetire(cluster: Cluster, row: Instance): void {
    work.takeOver(cluster.id, row.id, () => withContext(cluster, (ctx) => retire(ctx, row)));
  }

  async function ensure(ctx: Context): Promise<void> {
    await settleWithCloud(ctx);
    checkStopping(ctx.cluster);
    const surplus = await matchCounts(ctx);
    for (const row of surplus) {
      // Not counted from now on, so that the next pass does not pick it (or a replacement) again.
      await updateInstance(db, row.id, { state: 'draining' });
      watchRetire(ctx.cluster, row);
    }
    checkStopping(ctx.cluster);

    const rows = await listInstances(db, ctx.cluster.id);
    const desired = (await listRoles(db, ctx.cluster.id)).reduce((sum, r) => sum + r.count, 0);
    const limit = launchesPerHour(ctx.settings.maxLaunchesPerHour, desired);
    let budget = limit - recentLaunches(rows);
    const backoff = backoffOf(ctx.cluster);
    const toLaunch: Instance[] = [];
    for (const row of rows.filter((r) => r.state === 'requested' || r.state === 'booting')) {
      if (work.has(row.id)) continue;
      if (row.providerRef) {
        watchBoot(ctx.cluster, row.id);
        continue;
      }
      const paused = backoff.blocked(row.role);
      if (paused) await holdBack(row, `role ${row.role}: ${paused}`);
      else if (budget <= 0) await holdBack(row, `runaway guard: ${limit} launches in the last hour, the most cluster ${ctx.cluster.name} may make (setting maxLaunchesPerHour); launching resumes as the hour passes`);
      else {
        budget--;
        toLaunch.push(row);
      }
    }
    const results = await Promise.allSettled(toLaunch.map((row) => launchRow(ctx, row)));
    checkStopping(ctx.cluster);
    const failures: string[] = [];
    for (const [i, result] of results.entries()) {
      const row = toLaunch[i]!;
      if (result.status === 'fulfilled') {
        watchBoot(ctx.cluster, row.id);
        continue;
      }
      if (result.reason instanceof Stopping) continue;
      const reason = (result.reason as Error).message;
      failures.push(`${row.id}: ${reason}`);
      const streak = backoff.failed(row.role, reason, ctx.settings.launchBackoffMs);
      await updateInstance(db, row.id, { failure: `launch failed: ${reason}; role ${row.role}: ${describe(streak)}`.slice(0, 1000) });
    }
    checkStopping(ctx.cluster);
    await sweep(ctx);
    if (failures.length) {
      throw new Error(`cluster ${ctx.cluster.name}: ${failures.length} launch(es) failed: ${failures.join('; ')}`);
    }
  }

  return {
    name: 'ec2',
    checkSettings: (settings) => (!settings.region || !settings.image ? 'an ec2 cluster needs a region and an image (AMI id)' : undefined),
    ensureInstances(cluster: Cluster): Promise<void> {
      return serial.run(cluster.id, () => withContext(cluster, ensure));
    },
    sweepOrphans(cluster: Cluster): Promise<void> {
      return serial.run(cluster.id, () => withContext(cluster, sweep));
    },
    // Not serialised with ensureInstances: a shutdown tap running inside a scale-down may call it.
    async terminate(instance: Instance): Promise<void> {
      const cluster = await findClusterById(db, instance.clusterId);
      if (!cluster) {
        say(`${instance.id}: its cluster is gone; nothing this provider can identify as its instance`);
        return;
      }
      await withContext(cluster, (ctx) => {
        for (const [name, last] of lastTerminated) if (Date.now() - last.at > FORGET_MS) lastTerminated.delete(name);
        lastTerminated.set(cluster.name, { id: cluster.id, at: Date.now(), settings: ctx.settings });
        return terminateRow(ctx, instance);
      });
    },
    settled: (cluster) => work.settled(cluster.id),
    async close() {
      stopping.abort();
      await work.drain(10_000);
    },
  };
}
