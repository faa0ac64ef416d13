// The null provider: a FAKE provider for tests. Its instances are FakeInstances in the server's own
// process — no agent process is spawned, no app process runs, no port is opened — but they go
// through the real lifecycle (requested → booting → setup → online, shutdown, stopped) and talk to
// the server over the real agent protocol, so the whole control plane above them is the real one.
// Not loaded by default: a test harness names it in SCALARIUM_PLUGINS. See README.md.
import crypto from 'node:crypto';
import {
  AGENT_PATH, insertInstance, listInstances, setInstanceToken, updateInstance, listRoles, setRoleCounts,
  shutdownInstance, waitUntilOnline, type Plugin, type Scalarium, type Provider, type HookResult,
  type LifecycleEventName, type Cluster, type Instance,
} from '../../server/plugin-api.ts';
import { FakeInstance } from './fake-instance.ts';

const NAME = 'provider-null';
export const PROVIDER = 'null';
const CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_ROLES = { app: 1, router: 1 };

/** Where a new instance is on its way up: just recorded, about to connect, connected and being set up. */
export type BootStep = 'requested' | 'booting' | 'setup';
export interface InstanceRef { id: string; role: string; cluster: string }

/** How tests steer the fakes. Every member is optional: by default instances boot at once and every event succeeds. */
export interface NullScript {
  /**
   * Called as a new instance reaches each step; it moves on once this resolves. Throwing at
   * "requested" or "booting" fails the instance with the error's message (as a cloud failing to boot
   * it would); throwing at "setup" fails the setup event run only (as a failing app hook would).
   */
  boot?(instance: InstanceRef, step: BootStep): Promise<void> | void;
  /** The app hooks' results the instance reports for an event, e.g. a failing deploy hook with its output. */
  event?(instance: InstanceRef, event: LifecycleEventName, apps: string[] | undefined): Promise<HookResult[]> | HookResult[];
}

/** The fakes of one server, and the script they follow. */
export class NullCloud {
  script: NullScript = {};
  readonly instances = new Map<string, FakeInstance>();
  private readonly booting = new Map<string, Promise<void>>();
  /** Resolves once release() is called: from then on the script's boot waits are skipped. */
  private readonly released: Promise<void>;
  private resolveReleased!: () => void;
  private answering = 0;
  private lastActivity = 0;

  constructor(private readonly scalarium: Scalarium) {
    this.released = new Promise<void>((resolve) => (this.resolveReleased = resolve));
  }

  /** The running fake of an instance id. */
  instance(id: string): FakeInstance {
    const fake = this.instances.get(id);
    if (!fake) throw new Error(`no fake instance ${id} is running`);
    return fake;
  }

  /**
   * Lets every boot go on without the script's boot hook (before the server stops: a boot a test
   * left waiting must not hold the stop up, nor be cut off half-way).
   */
  release(): void {
    this.resolveReleased();
  }

  /** Whether a boot is under way or a fake is answering a request. */
  get busy(): boolean {
    return this.booting.size > 0 || this.answering > 0;
  }

  /** When a fake last took up or answered a request (Date.now()). */
  get lastActivityAt(): number {
    return this.lastActivity;
  }

  stopAll(): void {
    for (const fake of this.instances.values()) fake.stop();
    this.instances.clear();
  }

  stop(id: string): void {
    this.instances.get(id)?.stop();
    this.instances.delete(id);
  }

  /** Boots the instance unless its fake runs (or is on its way up). A failed instance stays failed: a fake has nothing to retry. */
  ensure(cluster: Cluster, id: string, role: string, existing: Instance | undefined): Promise<void> {
    if (existing?.state === 'failed') return Promise.resolve();
    if (this.instances.has(id) && this.scalarium.hub.peer(id)) return Promise.resolve();
    let boot = this.booting.get(id);
    if (!boot) {
      boot = this.boot(cluster, id, role, existing).finally(() => this.booting.delete(id));
      this.booting.set(id, boot);
    }
    return boot;
  }

  private async boot(cluster: Cluster, id: string, role: string, existing: Instance | undefined): Promise<void> {
    const { db, hub } = this.scalarium;
    const ref: InstanceRef = { id, role, cluster: cluster.name };
    const token = crypto.randomBytes(32).toString('base64url');
    try {
      if (!existing) {
        await insertInstance(db, { id, clusterId: cluster.id, role, token });
        await this.step(ref, 'requested');
      }
      await updateInstance(db, id, { state: 'booting', failure: null });
      await this.step(ref, 'booting');
      await setInstanceToken(db, id, token);
      this.stop(id);
      const fake = new FakeInstance({
        url: `${this.scalarium.baseUrl.replace(/^http/, 'ws')}${AGENT_PATH}`, instanceId: id, kind: role === 'router' ? 'router' : 'agent', token,
        onEvent: async (event, apps) => {
          if (event === 'setup') await this.step(ref, 'setup');
          return (await this.script.event?.(ref, event, apps)) ?? [];
        },
        activity: (delta) => {
          this.answering += delta;
          this.lastActivity = Date.now();
        },
      });
      this.instances.set(id, fake);
      fake.start();
      await hub.waitFor(id, CONNECT_TIMEOUT_MS);
      if (role !== 'router') await waitUntilOnline(this.scalarium, id, CONNECT_TIMEOUT_MS);
    } catch (error) {
      this.stop(id);
      await updateInstance(db, id, { state: 'failed', failure: (error as Error).message });
      throw error;
    }
  }

  private step(ref: InstanceRef, step: BootStep): Promise<void> {
    return Promise.race([(async () => this.script.boot?.(ref, step))(), this.released]);
  }
}

const clouds = new WeakMap<Scalarium, NullCloud>();

/** The null provider's fakes of a server that loaded this plugin. */
export function nullCloud(scalarium: Scalarium): NullCloud {
  const cloud = clouds.get(scalarium);
  if (!cloud) throw new Error(`the ${NAME} plugin is not loaded in this server`);
  return cloud;
}

export function createNullProvider(scalarium: Scalarium, cloud: NullCloud): Provider {
  return {
    name: PROVIDER,
    async ensureInstances(cluster) {
      let roles = await listRoles(scalarium.db, cluster.id);
      if (!roles.length) {
        // Recorded, so that the cluster shows (and can scale) its roles.
        await setRoleCounts(scalarium.db, cluster.id, DEFAULT_ROLES);
        roles = await listRoles(scalarium.db, cluster.id);
      }
      const instances = await listInstances(scalarium.db, cluster.id);
      const wanted = new Set<string>();
      const boots = roles.flatMap(({ name: role, count }) => Array.from({ length: count }, (_, i) => {
        const id = `${cluster.name}-${role}-${i + 1}`;
        wanted.add(id);
        return cloud.ensure(cluster, id, role, instances.find((existing) => existing.id === id));
      }));
      const results = await Promise.allSettled(boots);
      // Instances beyond the wanted counts go through the real shutdown event.
      for (const extra of instances.filter((i) => !wanted.has(i.id) && i.state !== 'stopped')) {
        await shutdownInstance(scalarium, extra, async () => cloud.stop(extra.id));
      }
      const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failure) throw failure.reason;
    },
    async terminate(instance) {
      cloud.stop(instance.id);
      await updateInstance(scalarium.db, instance.id, { state: 'stopped', pid: null });
    },
  };
}

export const nullProviderPlugin: Plugin = {
  name: NAME,
  apply(scalarium) {
    const cloud = new NullCloud(scalarium);
    clouds.set(scalarium, cloud);
    scalarium.registerProvider(createNullProvider(scalarium, cloud));
    scalarium.onClose(() => {
      cloud.release();
      cloud.stopAll();
    });
  },
};

export default nullProviderPlugin;
