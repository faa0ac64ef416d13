// The simulated cloud of one server: the provider's work (bring a cluster's instances to its role
// counts, terminate them) and the handle tests and benchmarks steer it with (kill instances
// abruptly, look at what an instance holds). The instances are SimulatedAgents in the fleet host.
import crypto from 'node:crypto';
import {
  AGENT_PATH, getClusterSettings, giveUpInstance, insertInstance, listInstances, listRoles, setInstanceToken, setRoleCounts, shutdownInstance,
  updateInstance, type Cluster, type Instance, type Provider, type Scalarium,
} from '../../server/plugin-api.ts';
import { BootWatch } from './boot-watch.ts';
import { Fleet } from './fleet.ts';
import type { BootOrder, InstanceView } from './fleet-messages.ts';
import { bootFails } from './seeded.ts';
import { checkSimulation, simulationOf, type Simulation } from './settings.ts';

export const PROVIDER = 'simulated';
/**
 * How long past its bootMs a simulated instance has to connect and be set up, unless the cluster's
 * bootTimeoutMs (core's setting) says otherwise: generous, because a thousand booting together wait
 * for the server's setup and configure runs of all the others (over a minute on 2 cores).
 */
const ONLINE_TIMEOUT_MS = 300_000;
const DEFAULT_ROLES = { app: 1, router: 1 };

export class SimulatedCloud {
  readonly provider: Provider;
  private readonly fleet: Fleet;
  private readonly watch: BootWatch;
  /** Instances the fleet host has (booting, connected, or killed and dead): not booted again. */
  private readonly known = new Set<string>();

  constructor(private readonly scalarium: Scalarium, onHostStarted: (pid: number) => void) {
    this.watch = new BootWatch(scalarium);
    this.fleet = new Fleet((id, reason) => this.watch.fail(id, reason), onHostStarted, (line) => scalarium.say(line));
    this.provider = {
      name: PROVIDER,
      ensureInstances: (cluster) => this.ensure(cluster),
      terminate: (instance) => this.terminate(instance),
      checkSettings: checkSimulation,
      consoleOutput: async (instance) => [`${instance.id} is a simulated instance (provider "${PROVIDER}"): it runs nothing and prints nothing`],
    };
  }

  /** The fleet host's pid, once a simulated instance was booted: the process that is not the server. */
  get hostPid(): number | undefined {
    return this.fleet.pid;
  }

  /**
   * Drops the instances' connections with no goodbye, as machines that lost power; resolves once
   * the server has seen each of them go. They stay dead (rows as the server left them) until terminated.
   */
  async kill(ids: string[]): Promise<void> {
    const { hub } = this.scalarium;
    const waiting = new Set(ids.filter((id) => hub.peer(id)));
    const gone = new Promise<void>((resolve) => {
      const onGone = (peer: { instanceId: string }) => {
        waiting.delete(peer.instanceId);
        if (waiting.size) return;
        hub.off('disconnected', onGone);
        resolve();
      };
      if (!waiting.size) return resolve();
      hub.on('disconnected', onGone);
    });
    await this.fleet.kill(ids);
    await gone;
  }

  /**
   * The server hears nothing from the instances for `ms` though their connections stay up (a
   * partition, a hung machine); then they speak again.
   */
  async mute(ids: string[], ms: number): Promise<void> {
    await this.fleet.mute(ids, ms);
  }

  /** What a simulated instance holds now (its processes, a router's table), or undefined when it runs in no host. */
  inspect(id: string): Promise<InstanceView | undefined> {
    return this.fleet.inspect(id);
  }

  async close(): Promise<void> {
    this.watch.close();
    this.known.clear();
    await this.fleet.close();
  }

  private async ensure(cluster: Cluster): Promise<void> {
    const { db } = this.scalarium;
    let roles = await listRoles(db, cluster.id);
    if (!roles.length) {
      await setRoleCounts(db, cluster.id, DEFAULT_ROLES);
      roles = await listRoles(db, cluster.id);
    }
    const settings = await getClusterSettings(db, cluster);
    const simulation = simulationOf(settings);
    const timeoutMs = settings.bootTimeoutMs ?? ONLINE_TIMEOUT_MS;
    const rows = new Map((await listInstances(db, cluster.id)).map((row) => [row.id, row]));
    const wanted = roles.flatMap(({ name: role, count }) => Array.from({ length: count }, (_, i) => ({ id: `${cluster.name}-${role}-${i + 1}`, role })));
    // A failed instance stays failed, a live or killed one is left as it is (replacing the dead is healing's work).
    const toBoot = wanted.filter(({ id }) => rows.get(id)?.state !== 'failed' && !this.known.has(id));
    const orders: BootOrder[] = [];
    for (const { id, role } of toBoot) orders.push(await this.prepare(cluster, simulation, id, role, rows.get(id)));
    for (const order of orders) this.known.add(order.id);
    const arrivals = orders.map((order) => this.watch.untilOnline(order.id, cluster.id, order.bootMs + timeoutMs)
      .catch((error: Error) => this.fail(order.id, error.message)));
    await this.fleet.boot(orders);
    const failures = (await Promise.all(arrivals)).filter((reason): reason is string => typeof reason === 'string');
    // Instances beyond the wanted counts go through the real shutdown event.
    const keep = new Set(wanted.map((w) => w.id));
    for (const extra of [...rows.values()].filter((row) => !keep.has(row.id) && row.state !== 'stopped' && row.state !== 'failed')) {
      await shutdownInstance(this.scalarium, extra, () => this.forget(extra.id));
    }
    if (failures.length) throw new Error(`${failures.length} simulated instance(s) of ${cluster.name} failed; the first: ${failures[0]}`);
  }

  /** Records the instance (requested → booting) with a new token, and says how the host is to boot it. */
  private async prepare(cluster: Cluster, simulation: Simulation, id: string, role: string, existing: Instance | undefined): Promise<BootOrder> {
    const { db } = this.scalarium;
    const token = crypto.randomBytes(32).toString('base64url');
    if (!existing) await insertInstance(db, { id, clusterId: cluster.id, role, token });
    else await setInstanceToken(db, id, token);
    await updateInstance(db, id, { state: 'booting', failure: null, launchedAt: new Date().toISOString() });
    const { seed, cpuPercent, cpuJitter, memoryPercent } = simulation;
    return {
      id, kind: role === 'router' ? 'router' : 'agent', token, url: `${this.scalarium.baseUrl.replace(/^http/, 'ws')}${AGENT_PATH}`,
      bootMs: simulation.bootMs, fails: bootFails(seed, simulation.failureRate, id), load: { seed, cpuPercent, cpuJitter, memoryPercent },
    };
  }

  /** The instance gives up, as other providers' do: failed with its reason, its token revoked so a late connection cannot join. */
  private async fail(id: string, reason: string): Promise<string> {
    await this.forget(id);
    await giveUpInstance(this.scalarium.db, id, reason);
    this.scalarium.say(`${id} failed: ${reason}`);
    return reason;
  }

  private async forget(id: string): Promise<void> {
    this.known.delete(id);
    await this.fleet.stop([id]);
  }

  private async terminate(instance: Instance): Promise<void> {
    await this.forget(instance.id);
    await updateInstance(this.scalarium.db, instance.id, { state: 'stopped', pid: null });
  }
}
