// Instance healing. What the server last heard from each online instance (any message: heartbeats
// every 5 s) tells how long it has been silent; assess.ts judges; this acts:
//   - a watch (every 500 ms, in memory and one query per cluster) writes suspect / recovered /
//     paused / resumed events and, when a replacement is due, asks for the cluster's reconcile pass;
//   - the reconcile hook (that pass, and the periodic one) replaces: the row is given up (failed, its
//     token revoked so a late return cannot rejoin), the routers are reconfigured without it, the
//     provider terminates it (ec2: the instance; local: the agent and its leftovers), and the
//     provider's own pass right after brings up the replacement (ec2: a new row; local and
//     simulated: the agent again); its apps are placed on the remaining instances meanwhile.
import {
  audit, configureCluster, listApps, listClusters, listInstances, reconcileApp, reconcileCluster, giveUpInstance, updateInstance,
  type Cluster, type Instance, type Scalarium,
} from '../../server/plugin-api.ts';
import { assess, FLAP_WINDOW_MS, type Verdict, type Watched } from './assess.ts';
import { addEvent, policyOf } from './store.ts';
import type { HealingPolicy } from './policy.ts';

export const WATCH_MS = 500;
export const ACTOR = 'healing';
const IN_FLIGHT_GRACE_MS = 1000;
/** Terminations under way at once (each is a cloud call, or a local agent's stop with its grace period). */
const TERMINATE_AT_ONCE = 20;

async function runLimited<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await task(items[next++]!);
  }));
}

export interface InstanceHealth { instance: string; role: string; silentForMs: number; status: 'ok' | 'suspect' | 'replacing' }

export class Healer {
  private readonly startedAt = Date.now();
  private readonly wentAway = new Map<string, number>();
  private readonly suspects = new Set<string>();
  private readonly returns = new Map<string, number[]>();
  private readonly replacing = new Set<string>();
  private readonly wouldReplace = new Set<string>();
  /** When an instance id was last replaced for flapping: the same id flapping again is not replaced in a loop. */
  private readonly flapReplaced = new Map<string, number>();
  private readonly paused = new Map<number, string>();
  /** When a cluster's pause ended: the silence of the partition is not held against anyone after it. */
  private readonly resumedAt = new Map<number, number>();
  private readonly background = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private watching: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly scalarium: Scalarium) {}

  start(): void {
    this.timer = setInterval(() => {
      this.watching ??= this.watch().catch((error: Error) => this.say(`watch failed: ${error.message}`)).finally(() => (this.watching = undefined));
    }, WATCH_MS);
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.watching;
    await Promise.allSettled([...this.background]);
  }

  disconnected(id: string): void {
    this.wentAway.set(id, Date.now());
  }

  /** Why healing of the cluster waits right now, if it does. */
  pausedBecause(clusterId: number): string | undefined {
    return this.paused.get(clusterId);
  }

  /** Each online instance as healing sees it now. */
  async health(cluster: Cluster): Promise<InstanceHealth[]> {
    const now = Date.now();
    return (await this.onlineRows(cluster)).map((row) => {
      const silentForMs = now - this.lastHeard(row);
      const status = this.replacing.has(row.id) ? 'replacing' : this.suspects.has(row.id) ? 'suspect' : 'ok';
      return { instance: row.id, role: row.role, silentForMs, status };
    });
  }

  /** The reconcile hook's work: replace what the verdict says, unless healing is off, dry or paused. */
  async heal(cluster: Cluster): Promise<void> {
    if (this.closed) return;
    const policy = await policyOf(this.scalarium.db, cluster.id);
    if (!policy.enabled) return;
    const { verdict, rows } = await this.judge(cluster, policy);
    if (verdict.paused) return;
    const due: Array<{ row: Instance; reason: string }> = [];
    for (const { instance, reason } of verdict.replace) {
      if (this.replacing.has(instance.id)) continue;
      if (policy.dryRun) {
        if (!this.wouldReplace.has(instance.id)) {
          this.wouldReplace.add(instance.id);
          await addEvent(this.scalarium.db, cluster.id, 'would-replace', instance.id, `dry run: would replace it: ${reason}`);
        }
        continue;
      }
      const flapping = reason.startsWith('flapping');
      const before = this.flapReplaced.get(instance.id);
      if (flapping && before !== undefined && Date.now() - before < 2 * FLAP_WINDOW_MS) {
        if (!this.wouldReplace.has(instance.id)) {
          this.wouldReplace.add(instance.id);
          await addEvent(this.scalarium.db, cluster.id, 'failed', instance.id, `still ${reason} after it was replaced for that: not replaced again; look at its host and network`);
        }
        continue;
      }
      if (flapping) this.flapReplaced.set(instance.id, Date.now());
      const row = rows.find((r) => r.id === instance.id);
      if (row) due.push({ row, reason });
    }
    if (due.length) await this.replace(cluster, due);
  }

  private say(line: string): void {
    this.scalarium.say(`healing: ${line}`);
  }

  private async onlineRows(cluster: Cluster): Promise<Instance[]> {
    return (await listInstances(this.scalarium.db, cluster.id)).filter((r) => r.state === 'online');
  }

  private lastHeard(row: Instance): number {
    const peer = this.scalarium.hub.peer(row.id);
    if (peer) return peer.lastHeardAt;
    // Gone in this server's life: since then. Otherwise since this server started (agents need the
    // time to reconnect to a restarted server; their rows' lastSeenAt is from the previous life).
    return Math.max(this.wentAway.get(row.id) ?? 0, this.startedAt);
  }

  private async judge(cluster: Cluster, policy: HealingPolicy): Promise<{ verdict: Verdict; rows: Instance[] }> {
    const rows = await this.onlineRows(cluster);
    const now = Date.now();
    // After a partition, an instance whose next heartbeat is still due is not replaced for the
    // silence every instance shared: each gets the full time again from the end of the pause.
    const since = this.resumedAt.get(cluster.id) ?? 0;
    const watched: Watched[] = rows.map((row) => ({ id: row.id, role: row.role, silentForMs: now - Math.max(this.lastHeard(row), since) }));
    return { verdict: assess(watched, policy, this.returns, now), rows };
  }

  /** One look at every cluster: events for what changed, a reconcile pass when a replacement is due. */
  private async watch(): Promise<void> {
    const { db } = this.scalarium;
    for (const cluster of await listClusters(db)) {
      if (this.closed) return;
      const policy = await policyOf(db, cluster.id);
      if (!policy.enabled) continue;
      const { verdict, rows } = await this.judge(cluster, policy);
      const now = Date.now();
      const suspectIds = new Set(verdict.suspects.map((s) => s.id));
      for (const suspect of verdict.suspects) {
        if (this.suspects.has(suspect.id)) continue;
        this.suspects.add(suspect.id);
        await addEvent(db, cluster.id, 'suspect', suspect.id, `no heartbeat for ${Math.round(suspect.silentForMs / 1000)} s`);
      }
      for (const row of rows) {
        if (!this.suspects.has(row.id) || suspectIds.has(row.id)) continue;
        this.suspects.delete(row.id);
        this.wouldReplace.delete(row.id);
        this.returns.set(row.id, [...(this.returns.get(row.id) ?? []).filter((at) => now - at <= FLAP_WINDOW_MS), now]);
        await addEvent(db, cluster.id, 'recovered', row.id, 'heard from again');
      }
      const was = this.paused.get(cluster.id);
      if (verdict.paused && !was) {
        this.paused.set(cluster.id, verdict.paused);
        await addEvent(db, cluster.id, 'paused', null, verdict.paused);
        this.say(`cluster ${cluster.name}: paused: ${verdict.paused}`);
      } else if (!verdict.paused && was) {
        this.paused.delete(cluster.id);
        this.resumedAt.set(cluster.id, Date.now());
        await addEvent(db, cluster.id, 'resumed', null, 'most instances are heard from again; the others get the full time again from now');
      }
      const due = verdict.replace.filter((r) => !this.replacing.has(r.instance.id) && !this.wouldReplace.has(r.instance.id));
      if (!verdict.paused && due.length) void reconcileCluster(this.scalarium, cluster, `healing: ${due.map((d) => d.instance.id).join(', ')}`);
    }
  }

  /**
   * All of a pass's replacements together (a tenth of a fleet may go at once): each given up, one
   * configure for all, one grace period, then the terminations side by side.
   */
  private async replace(cluster: Cluster, due: Array<{ row: Instance; reason: string }>): Promise<void> {
    const { db } = this.scalarium;
    for (const { row } of due) this.replacing.add(row.id);
    try {
      for (const { row, reason } of due) {
        await addEvent(db, cluster.id, 'replacing', row.id, reason);
        await audit(this.scalarium, ACTOR, 'instance.replace', row.id, { detail: { cluster: cluster.name, role: row.role, reason } });
        this.say(`${row.id} (cluster ${cluster.name}): replacing it: ${reason}`);
        // Given up on first: out of every count and route, and a late return cannot rejoin as it.
        await giveUpInstance(db, row.id, `replaced by healing: ${reason}`);
        this.scalarium.hub.peer(row.id)?.socket.terminate();
      }
      const names = due.length === 1 ? due[0]!.row.id : `${due.length} instances`;
      await configureCluster(this.scalarium, cluster, `healing replaces ${names}`).catch((error: Error) => this.say(`configure without ${names}: ${error.message}`));
      // Requests the routers had sent their processes before the new table finish (if they still can).
      await new Promise((resolve) => setTimeout(resolve, IN_FLIGHT_GRACE_MS));
      await runLimited(due, TERMINATE_AT_ONCE, async ({ row }) => {
        try {
          await this.scalarium.provider(cluster.provider).terminate(row);
          // Never seen, from now: a provider that brings the same id back (local, simulated) gets it set
          // up anew. (After the termination: the hub writes lastSeenAt when the connection ends.)
          await updateInstance(db, row.id, { lastSeenAt: null });
          await addEvent(db, cluster.id, 'replaced', row.id, `terminated; cluster ${cluster.name} brings up its replacement (role ${row.role})`);
        } catch (error) {
          await addEvent(db, cluster.id, 'failed', row.id, `replacing it failed: ${(error as Error).message}`).catch(() => {});
        }
      });
    } finally {
      for (const { row } of due) {
        this.replacing.delete(row.id);
        this.suspects.delete(row.id);
        this.returns.delete(row.id);
        this.wouldReplace.delete(row.id);
      }
    }
    // Its apps go onto the instances that remain while the replacement boots (when there is room).
    const moved = (async () => {
      for (const app of (await listApps(db)).filter((a) => a.cluster_id === cluster.id)) {
        if (this.closed) return;
        await reconcileApp(this.scalarium, app).catch((error: Error) => this.say(`moving ${app.name} off replaced instances: ${error.message}`));
      }
    })();
    this.background.add(moved);
    void moved.finally(() => this.background.delete(moved));
  }
}
