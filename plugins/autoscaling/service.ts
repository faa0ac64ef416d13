// What the API, the Autoscaling tabs and the CLI share: a cluster's or an app's autoscaling as
// people read it (each target's policy, schedules, current count, last reading) and the decisions;
// setting and removing policies and schedules (checked against the target, audited).
import {
  audit, defaultFormation, formatDuration, latestRelease, listRoles, parseBody, requireApp, requireCluster, ScalariumError,
  type Principal, type Scalarium,
} from '../../server/plugin-api.ts';
import { policyBody, scheduleBody } from './bodies.ts';
import { metricOf, formatFigure } from './metrics.ts';
import { policyFromBody, type StoredPolicy } from './policy-input.ts';
import type { Sample, Scaler } from './scaler.ts';
import { checkSchedule, nextFire } from './schedule.ts';
import {
  addSchedule, deletePolicy, deleteSchedule, findSchedule, listDecisions, listPolicies, listSchedules, policyOfRow, savePolicy,
  type DecisionRow, type ScheduleRow,
} from './store.ts';
import { describeTarget, type Target } from './target.ts';
import { noPolicy, noSchedule } from './errors.ts';

export interface PolicyView {
  mode: 'step' | 'target'; metric: string; min: number; max: number; dryRun: boolean;
  above?: string; below?: string; target?: string; for?: string; downFor?: string; step?: number; cooldown: string; downCooldown: string;
  described: string;
}
export interface ScheduleView { id: number; count: number; cron: string; tz: string; next: string | null; createdBy: string }
export interface TargetView {
  role?: string; type?: string; current: number; policy: PolicyView | null; schedules: ScheduleView[];
  lastReading: { at: string; value: string | null; note?: string } | null;
  samples: Sample[];
}
export interface AutoscaleAnswer { cluster?: string; app?: string; targets: TargetView[]; decisions: DecisionRow[] }

export function describePolicy(policy: StoredPolicy): string {
  const spec = metricOf('role', policy.metric) ?? metricOf('formation', policy.metric);
  const f = (n: number) => (spec ? formatFigure(spec, n) : String(n));
  const bounds = `${policy.min}-${policy.max}`;
  const dry = policy.dryRun ? 'dry run: ' : '';
  if (policy.mode === 'target') return `${dry}keep ${policy.metric} near ${f(policy.target)} (over ${formatDuration(policy.windowMs)}) within ${bounds}`;
  const parts = [];
  if (policy.above !== undefined) parts.push(`+${policy.step} when ${policy.metric} > ${f(policy.above)} for ${formatDuration(policy.upForMs)}`);
  if (policy.below !== undefined) parts.push(`-${policy.step} when ${policy.metric} < ${f(policy.below)} for ${formatDuration(policy.downForMs)}`);
  return `${dry}${parts.join(', ')} within ${bounds}, cooldown ${formatDuration(policy.upCooldownMs)}`;
}

function policyView(policy: StoredPolicy): PolicyView {
  const spec = metricOf('role', policy.metric) ?? metricOf('formation', policy.metric)!;
  const common = {
    mode: policy.mode, metric: policy.metric, min: policy.min, max: policy.max, dryRun: policy.dryRun,
    cooldown: formatDuration(policy.upCooldownMs), downCooldown: formatDuration(policy.downCooldownMs), described: describePolicy(policy),
  };
  if (policy.mode === 'target') return { ...common, target: formatFigure(spec, policy.target), for: formatDuration(policy.windowMs) };
  return {
    ...common, ...(policy.above !== undefined ? { above: formatFigure(spec, policy.above) } : {}), ...(policy.below !== undefined ? { below: formatFigure(spec, policy.below) } : {}),
    for: formatDuration(policy.upForMs), downFor: formatDuration(policy.downForMs), step: policy.step,
  };
}

function scheduleView(row: ScheduleRow): ScheduleView {
  const next = nextFire(row.cron, row.tz, Date.now());
  return { id: row.id, count: row.count, cron: row.cron, tz: row.tz, next: next === undefined ? null : new Date(next).toISOString(), createdBy: row.created_by };
}

/** The target a route names, checked: the role must be one of the cluster's, the type one of the live release's. */
export async function roleTarget(scalarium: Scalarium, clusterName: unknown, role: unknown): Promise<Target> {
  const cluster = await requireCluster(scalarium, clusterName);
  const roles = (await listRoles(scalarium.db, cluster.id)).map((r) => r.name);
  if (typeof role !== 'string' || !roles.includes(role)) {
    throw new ScalariumError('invalid_body', { reason: `cluster ${cluster.name} has no role ${JSON.stringify(String(role).slice(0, 40))} (it has ${roles.join(', ') || 'none'})` });
  }
  return { kind: 'role', clusterId: cluster.id, cluster: cluster.name, role };
}

export async function typeTarget(scalarium: Scalarium, appName: string, type: unknown): Promise<Target> {
  const app = await requireApp(scalarium, appName);
  const release = await latestRelease(scalarium.db, app.id);
  if (!release) throw new ScalariumError('no_release', { app: app.name });
  const types = Object.keys(release.processTypes);
  if (typeof type !== 'string' || !types.includes(type)) {
    throw new ScalariumError('invalid_body', { reason: `the current release of ${app.name} has no process type ${JSON.stringify(String(type).slice(0, 40))} (it has ${types.join(', ')})` });
  }
  return { kind: 'formation', appId: app.id, app: app.name, clusterId: app.cluster_id, type };
}

async function targetView(scalarium: Scalarium, scaler: Scaler, target: Target, current: number, policies: Awaited<ReturnType<typeof listPolicies>>, schedules: ScheduleRow[]): Promise<TargetView> {
  const same = (r: { role: string | null; process_type: string | null }) => (target.kind === 'role' ? r.role === target.role : r.process_type === target.type);
  const row = policies.find(same);
  const state = scaler.stateOf(target);
  const policy = row ? policyOfRow(row) : undefined;
  const spec = policy ? metricOf(target.kind, policy.metric) : undefined;
  const reading = state.lastReading;
  return {
    ...(target.kind === 'role' ? { role: target.role } : { type: target.type }), current,
    policy: policy ? policyView(policy) : null, schedules: schedules.filter(same).map(scheduleView),
    lastReading: reading ? {
      at: new Date(reading.at).toISOString(), value: reading.value === null || !spec ? null : formatFigure(spec, reading.value),
      ...(reading.known ? (reading.value === null ? { note: 'nothing measured in the window yet' } : {}) : { note: 'no metrics: the monitoring plugin is not loaded' }),
    } : null,
    samples: state.samples,
  };
}

export async function clusterAutoscaling(scalarium: Scalarium, scaler: Scaler, name: unknown, limit = 50): Promise<AutoscaleAnswer> {
  const cluster = await requireCluster(scalarium, name);
  const policies = (await listPolicies(scalarium.db, { clusterId: cluster.id })).filter((p) => p.role);
  const schedules = (await listSchedules(scalarium.db, { clusterId: cluster.id })).filter((s) => s.role);
  const roles = await listRoles(scalarium.db, cluster.id);
  const targets: TargetView[] = [];
  for (const role of roles) {
    if (!policies.some((p) => p.role === role.name) && !schedules.some((s) => s.role === role.name)) continue;
    targets.push(await targetView(scalarium, scaler, { kind: 'role', clusterId: cluster.id, cluster: cluster.name, role: role.name }, role.count, policies, schedules));
  }
  return { cluster: cluster.name, targets, decisions: await listDecisions(scalarium.db, { clusterId: cluster.id }, limit) };
}

export async function appAutoscaling(scalarium: Scalarium, scaler: Scaler, name: string, limit = 50): Promise<AutoscaleAnswer> {
  const app = await requireApp(scalarium, name);
  const policies = await listPolicies(scalarium.db, { appId: app.id });
  const schedules = await listSchedules(scalarium.db, { appId: app.id });
  const release = await latestRelease(scalarium.db, app.id);
  const formation = release ? defaultFormation(app.formation, release.processTypes) : {};
  const types = [...new Set([...policies.map((p) => p.process_type!), ...schedules.map((s) => s.process_type!)])].sort();
  const targets: TargetView[] = [];
  for (const type of types) {
    targets.push(await targetView(scalarium, scaler, { kind: 'formation', appId: app.id, app: app.name, clusterId: app.cluster_id, type }, formation[type] ?? 0, policies, schedules));
  }
  return { app: app.name, targets, decisions: await listDecisions(scalarium.db, { appId: app.id }, limit) };
}

function auditTarget(target: Target): { name: string; detail: Record<string, string> } {
  return target.kind === 'role' ? { name: target.cluster, detail: { role: target.role } } : { name: target.app, detail: { type: target.type } };
}

/** `raw`: the body of PUT …/autoscale/:target or the tab's form, parsed here. Replaces the target's policy. */
export async function setPolicy(scalarium: Scalarium, scaler: Scaler, principal: Principal, target: Target, raw: unknown): Promise<PolicyView> {
  const policy = policyFromBody(target, parseBody(policyBody, raw));
  await savePolicy(scalarium.db, target, policy, principal.user.name);
  scaler.forget(target);
  const { name, detail } = auditTarget(target);
  await audit(scalarium, principal, 'autoscale.policy', name, { detail: { ...detail, policy: describePolicy(policy) } });
  return policyView(policy);
}

export async function removePolicy(scalarium: Scalarium, scaler: Scaler, principal: Principal, target: Target): Promise<void> {
  if (!(await deletePolicy(scalarium.db, target))) throw noPolicy({ target: describeTarget(target) });
  scaler.forget(target);
  const { name, detail } = auditTarget(target);
  await audit(scalarium, principal, 'autoscale.remove', name, { detail });
}

export async function addScheduleFor(scalarium: Scalarium, principal: Principal, target: Target, raw: unknown): Promise<ScheduleView> {
  const body = parseBody(scheduleBody, raw);
  const unusable = checkSchedule(body.cron, body.tz);
  if (unusable) throw new ScalariumError('invalid_body', { reason: unusable });
  const row = await addSchedule(scalarium.db, target, { count: body.count, cron: body.cron.trim(), tz: body.tz }, principal.user.name);
  const { name, detail } = auditTarget(target);
  await audit(scalarium, principal, 'autoscale.schedule', name, { detail: { ...detail, count: body.count, cron: body.cron, tz: body.tz } });
  return scheduleView(row);
}

/** A schedule is removed only through its own cluster or app (an id of another's is "not found"). */
export async function removeSchedule(scalarium: Scalarium, principal: Principal, owner: { clusterId?: number; appId?: number; name: string }, rawId: unknown): Promise<void> {
  const id = Number(rawId);
  const row = Number.isInteger(id) && id > 0 ? await findSchedule(scalarium.db, id) : undefined;
  const ours = row && (owner.clusterId !== undefined ? row.cluster_id === owner.clusterId : row.app_id === owner.appId);
  if (!row || !ours) throw noSchedule({ owner: owner.name, id: String(rawId).slice(0, 20) });
  await deleteSchedule(scalarium.db, id);
  await audit(scalarium, principal, 'autoscale.unschedule', owner.name, { detail: { id, cron: row.cron, count: row.count } });
}
