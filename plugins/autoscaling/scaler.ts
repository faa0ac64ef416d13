// The autoscaler. Every interval (10 s, SCALARIUM_AUTOSCALE_INTERVAL) it looks at every target with
// a policy or a schedule: an app's process type is decided and scaled right there (the formation,
// through core's scale: a deploy of the same release); a cluster's role is decided on the cluster's
// reconcile pass (the reconcile hook), which it asks for, so that the provider acts on the new count
// at once. Every decision is written with its inputs and reason, and audited when it was carried out.
import {
  audit, defaultFormation, findClusterById, latestRelease, listApps, listClusters, listRoles, reconcileCluster, scaleFormation,
  ScalariumError, setRoleCounts, type AppRow, type Cluster, type Scalarium,
} from '../../server/plugin-api.ts';
import { decide, type Memory } from './decide.ts';
import { formatFigure, metricOf } from './metrics.ts';
import type { StoredPolicy } from './policy-input.ts';
import { activeSchedule } from './schedule.ts';
import { addDecision, listPolicies, listSchedules, policyOfRow, type PolicyRow, type ScheduleRow } from './store.ts';
import { describeTarget, targetKey, unitOf, type Target } from './target.ts';

export const ACTOR = 'autoscaling';
const SAMPLES = 360;
const METRIC_BUCKET_MS = 10_000;

export interface Sample { at: number; value: number | null; count: number }

interface TargetMemory extends Memory {
  /** Since when this server watches the target (first evaluation, last change): a window is judged only once it was watched that long. */
  since: number;
  appliedFire?: number;
  lastDry?: { to: number; at: number };
  lastReading?: { at: number; value: number | null; known: boolean };
  samples: Sample[];
}

function sameTarget(row: { cluster_id: number | null; role: string | null; app_id: number | null; process_type: string | null }, target: Target): boolean {
  return target.kind === 'role' ? row.cluster_id === target.clusterId && row.role === target.role : row.app_id === target.appId && row.process_type === target.type;
}

function localTime(at: number, tz: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: tz, weekday: 'short', hour: '2-digit', minute: '2-digit' }).format(new Date(at));
}

export class Scaler {
  private readonly memory = new Map<string, TargetMemory>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly scalarium: Scalarium, readonly intervalMs: number) {}

  start(): void {
    this.timer = setInterval(() => {
      this.ticking ??= this.tick().catch((error: Error) => this.say(`evaluation failed: ${error.message}`)).finally(() => (this.ticking = undefined));
    }, this.intervalMs);
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.ticking;
  }

  /** What this server remembers of a target: the last reading and the recent samples (for the page). */
  stateOf(target: Target): { lastReading?: TargetMemory['lastReading']; samples: Sample[] } {
    const memory = this.memory.get(targetKey(target));
    return { lastReading: memory?.lastReading, samples: memory?.samples ?? [] };
  }

  /** A policy changed: its windows start again (a new threshold is not judged on the old one's time). */
  forget(target: Target): void {
    this.memory.delete(targetKey(target));
  }

  /** The reconcile hook: the cluster's roles with a policy or schedule get their count decided. */
  async onReconcile(cluster: Cluster): Promise<void> {
    if (this.closed) return;
    const { db } = this.scalarium;
    const policies = (await listPolicies(db, { clusterId: cluster.id })).filter((p) => p.role);
    const schedules = (await listSchedules(db, { clusterId: cluster.id })).filter((s) => s.role);
    const roles = new Set([...policies.map((p) => p.role!), ...schedules.map((s) => s.role!)]);
    for (const role of roles) {
      const target: Target = { kind: 'role', clusterId: cluster.id, cluster: cluster.name, role };
      const current = (await listRoles(db, cluster.id)).find((r) => r.name === role)?.count ?? 0;
      const to = await this.evaluate(target, policies, schedules, current, await this.formationFloor(cluster, role));
      if (to === undefined) continue;
      await setRoleCounts(db, cluster.id, { [role]: to });
    }
  }

  private say(line: string): void {
    this.scalarium.say(`autoscaling: ${line}`);
  }

  private memoryOf(target: Target): TargetMemory {
    const key = targetKey(target);
    let memory = this.memory.get(key);
    if (!memory) this.memory.set(key, (memory = { since: Date.now(), samples: [] }));
    return memory;
  }

  private async tick(): Promise<void> {
    const { db } = this.scalarium;
    const policies = await listPolicies(db);
    const schedules = await listSchedules(db);
    // Process types: decided and scaled here.
    const appIds = new Set([...policies, ...schedules].filter((r) => r.app_id !== null).map((r) => r.app_id!));
    if (appIds.size) {
      for (const app of (await listApps(db)).filter((a) => appIds.has(a.id))) {
        if (this.closed) return;
        await this.scaleApp(app, policies, schedules).catch((error: Error) => this.say(`app ${app.name}: ${error.message}`));
      }
    }
    // Roles: decided on their cluster's reconcile pass.
    const clusterIds = new Set([...policies, ...schedules].filter((r) => r.cluster_id !== null).map((r) => r.cluster_id!));
    for (const cluster of (await listClusters(db)).filter((c) => clusterIds.has(c.id))) {
      if (this.closed) return;
      await reconcileCluster(this.scalarium, cluster, 'autoscaling');
    }
  }

  private async scaleApp(app: AppRow, policies: PolicyRow[], schedules: ScheduleRow[]): Promise<void> {
    const release = await latestRelease(this.scalarium.db, app.id);
    if (!release) return;
    const formation = defaultFormation(app.formation, release.processTypes);
    const types = new Set([...policies, ...schedules].filter((r) => r.app_id === app.id).map((r) => r.process_type!));
    for (const type of types) {
      if (!(type in formation)) continue; // the release has no such type (any more): nothing to scale
      const target: Target = { kind: 'formation', appId: app.id, app: app.name, clusterId: app.cluster_id, type };
      const to = await this.evaluate(target, policies, schedules, formation[type]!, 0);
      if (to === undefined) continue;
      try {
        await scaleFormation(this.scalarium, ACTOR, app.name, { [type]: to });
      } catch (error) {
        // A deploy of the app is under way: the next evaluation decides again, on what it left.
        if (error instanceof ScalariumError && error.code === 'app_locked') this.memoryOf(target).lastChangeAt = undefined;
        else throw error;
      }
    }
  }

  /** A role that runs apps never goes below one instance while any of its apps has a process. */
  private async formationFloor(cluster: Cluster, role: string): Promise<number> {
    if (role !== 'app') return 0;
    for (const app of (await listApps(this.scalarium.db)).filter((a) => a.cluster_id === cluster.id)) {
      const release = await latestRelease(this.scalarium.db, app.id);
      if (release && Object.values(defaultFormation(app.formation, release.processTypes)).some((n) => n > 0)) return 1;
    }
    return 0;
  }

  /** The new count the target should have, carried out unless dry; undefined for no change. */
  private async evaluate(target: Target, policies: PolicyRow[], schedules: ScheduleRow[], current: number, formationFloor: number): Promise<number | undefined> {
    const now = Date.now();
    const memory = this.memoryOf(target);
    const row = policies.find((p) => sameTarget(p, target));
    const policy = row ? policyOfRow(row) : undefined;
    const active = activeSchedule(schedules.filter((s) => sameTarget(s, target)), now);
    const max = policy?.max ?? 100;

    if (active && memory.appliedFire !== active.firedAt) {
      memory.appliedFire = active.firedAt;
      const to = Math.max(formationFloor, policy ? Math.min(policy.max, Math.max(policy.min, active.schedule.count)) : active.schedule.count);
      if (to !== current) {
        const { cron, tz, count } = active.schedule;
        return this.record(target, policy, 'schedule', current, to, `schedule "${cron}" (${tz}) fired ${localTime(active.firedAt, tz)}: ${count} ${unitOf(target)}`, { schedule: active.schedule.id, cron, tz, count });
      }
    }
    if (!policy) return undefined;
    const spec = metricOf(target.kind, policy.metric);
    if (!spec) return undefined;
    const floor = Math.min(max, Math.max(policy.min, formationFloor, active ? active.schedule.count : 0));
    const windowUp = policy.mode === 'step' ? policy.upForMs : policy.windowMs;
    const windowDown = policy.mode === 'step' ? policy.downForMs : policy.windowMs;
    const up = await this.read(target, spec.figure, windowUp, current, spec.perProcess === true);
    const down = windowDown === windowUp ? up : await this.read(target, spec.figure, windowDown, current, spec.perProcess === true);
    memory.lastReading = { at: now, value: up.value, known: up.known };
    memory.samples = [...memory.samples.slice(-(SAMPLES - 1)), { at: now, value: up.value, count: current }];
    // A window is judged once it was watched whole by this server (a fresh policy does not act on one sample).
    const readings = { up: now - memory.since >= windowUp ? up.value : null, down: now - memory.since >= windowDown ? down.value : null };
    const decision = decide(policy, spec, readings, current, floor, memory, now);
    if (!decision || decision.to === current) return undefined;
    const source = decision.reason.startsWith('below the floor') || decision.reason.startsWith('above the maximum') ? 'bounds' : policy.mode === 'target' ? 'target' : 'load';
    return this.record(target, policy, source, current, decision.to, decision.reason, {
      metric: spec.name, value: up.value === null ? null : formatFigure(spec, up.value), floor, max, mode: policy.mode,
    });
  }

  private async read(target: Target, figure: string, windowMs: number, current: number, perProcess: boolean): Promise<{ value: number | null; known: boolean }> {
    const scope = target.kind === 'role'
      ? { cluster: target.cluster, role: target.role }
      : { app: target.app, ...(figure === 'p95_ms' || figure === 'requests_per_second' ? {} : { type: target.type }) };
    // metricValue averages the complete 10 s buckets inside the window: one bucket more makes a
    // 10 s window hold one whatever the clock says, and a 5 min window 30.
    const answer = await this.scalarium.hooks.metricValue.promise({ metric: figure, scope, windowMs: windowMs + METRIC_BUCKET_MS }).catch(() => undefined);
    if (!answer) return { value: null, known: false };
    if (answer.value === null) return { value: null, known: true };
    return { value: perProcess ? answer.value / Math.max(1, current) : answer.value, known: true };
  }

  private async record(target: Target, policy: StoredPolicy | undefined, source: 'load' | 'target' | 'schedule' | 'bounds', from: number, to: number, reason: string, inputs: Record<string, unknown>): Promise<number | undefined> {
    const memory = this.memoryOf(target);
    const now = Date.now();
    const dryRun = policy?.dryRun === true;
    if (dryRun) {
      // The same dry decision is written again only after a cooldown, not every evaluation.
      const cooldown = to > from ? policy.upCooldownMs : policy.downCooldownMs;
      if (memory.lastDry && memory.lastDry.to === to && now - memory.lastDry.at < Math.max(cooldown, 60_000)) return undefined;
      memory.lastDry = { to, at: now };
    }
    await addDecision(this.scalarium.db, target, { source, from, to, reason, inputs, dryRun });
    this.say(`${describeTarget(target)}: ${dryRun ? 'dry run, would scale' : 'scaling'} ${from} → ${to}: ${reason}`);
    if (dryRun) return undefined;
    memory.lastChangeAt = now;
    // The windows start again: what was measured before the change says nothing about the new count.
    memory.since = now;
    const cluster = target.kind === 'role' ? target.cluster : (await findClusterById(this.scalarium.db, target.clusterId))?.name;
    await audit(this.scalarium, ACTOR, 'autoscale.scale', target.kind === 'role' ? target.cluster : target.app, {
      detail: { ...(target.kind === 'role' ? { role: target.role } : { type: target.type, cluster }), from, to, reason, source },
    });
    return to;
  }
}
