// Autoscaling's rows: policies and schedules per target, and the decisions.
import { now, type Db } from '../../server/plugin-api.ts';
import type { StoredPolicy } from './policy-input.ts';
import { targetColumns, type Target } from './target.ts';

export interface PolicyRow {
  id: number; cluster_id: number | null; role: string | null; app_id: number | null; process_type: string | null;
  mode: 'step' | 'target'; metric: string; min: number; max: number; above: number | null; below: number | null; target: number | null;
  up_for_ms: number; down_for_ms: number; step: number; up_cooldown_ms: number; down_cooldown_ms: number; dry_run: number | boolean;
  updated_by: string; updated_at: string;
}

export interface ScheduleRow {
  id: number; cluster_id: number | null; role: string | null; app_id: number | null; process_type: string | null;
  count: number; cron: string; tz: string; created_by: string; created_at: string;
}

export interface DecisionRow {
  id: number; at: string; source: 'load' | 'target' | 'schedule' | 'bounds'; from: number; to: number; reason: string; inputs: Record<string, unknown>; dryRun: boolean;
  role: string | null; type: string | null;
}

export function policyOfRow(row: PolicyRow): StoredPolicy {
  const common = { metric: row.metric, min: row.min, max: row.max, dryRun: Boolean(row.dry_run), upCooldownMs: row.up_cooldown_ms, downCooldownMs: row.down_cooldown_ms };
  if (row.mode === 'target') return { ...common, mode: 'target', target: row.target ?? 1, windowMs: row.up_for_ms };
  return {
    ...common, mode: 'step', above: row.above ?? undefined, below: row.below ?? undefined, upForMs: row.up_for_ms, downForMs: row.down_for_ms, step: row.step,
  };
}

const where = (target: Target) => targetColumns(target);

export async function findPolicy(db: Db, target: Target): Promise<PolicyRow | undefined> {
  return db('autoscale_policies').where(where(target)).first();
}

export async function savePolicy(db: Db, target: Target, policy: StoredPolicy, by: string): Promise<void> {
  const row = {
    ...where(target), mode: policy.mode, metric: policy.metric, min: policy.min, max: policy.max,
    above: policy.mode === 'step' ? policy.above ?? null : null, below: policy.mode === 'step' ? policy.below ?? null : null,
    target: policy.mode === 'target' ? policy.target : null,
    up_for_ms: policy.mode === 'step' ? policy.upForMs : policy.windowMs, down_for_ms: policy.mode === 'step' ? policy.downForMs : policy.windowMs, step: policy.mode === 'step' ? policy.step : 1,
    up_cooldown_ms: policy.upCooldownMs, down_cooldown_ms: policy.downCooldownMs, dry_run: policy.dryRun, updated_by: by, updated_at: now(),
  };
  await db.transaction(async (trx) => {
    await trx('autoscale_policies').where(where(target)).delete();
    await trx('autoscale_policies').insert(row);
  });
}

export async function deletePolicy(db: Db, target: Target): Promise<number> {
  return db('autoscale_policies').where(where(target)).delete();
}

export async function listPolicies(db: Db, filter: { clusterId?: number; appId?: number } = {}): Promise<PolicyRow[]> {
  const q = db('autoscale_policies').orderBy('id');
  if (filter.clusterId !== undefined) q.where({ cluster_id: filter.clusterId });
  if (filter.appId !== undefined) q.where({ app_id: filter.appId });
  return q;
}

export async function addSchedule(db: Db, target: Target, schedule: { count: number; cron: string; tz: string }, by: string): Promise<ScheduleRow> {
  const [id] = await db('autoscale_schedules').insert({ ...where(target), ...schedule, created_by: by, created_at: now() }).returning('id');
  return db('autoscale_schedules').where({ id: typeof id === 'object' ? (id as { id: number }).id : id }).first();
}

export async function listSchedules(db: Db, filter: { clusterId?: number; appId?: number } = {}): Promise<ScheduleRow[]> {
  const q = db('autoscale_schedules').orderBy('id');
  if (filter.clusterId !== undefined) q.where({ cluster_id: filter.clusterId });
  if (filter.appId !== undefined) q.where({ app_id: filter.appId });
  return q;
}

export async function findSchedule(db: Db, id: number): Promise<ScheduleRow | undefined> {
  return db('autoscale_schedules').where({ id }).first();
}

export async function deleteSchedule(db: Db, id: number): Promise<void> {
  await db('autoscale_schedules').where({ id }).delete();
}

export async function addDecision(db: Db, target: Target, decision: Omit<DecisionRow, 'id' | 'at' | 'role' | 'type'>): Promise<void> {
  await db('autoscale_events').insert({
    ...where(target), at: now(), source: decision.source, from: decision.from, to: decision.to, reason: decision.reason.slice(0, 500),
    inputs: JSON.stringify(decision.inputs), dry_run: decision.dryRun,
  });
}

export async function listDecisions(db: Db, filter: { clusterId?: number; appId?: number }, limit: number): Promise<DecisionRow[]> {
  const q = db('autoscale_events').orderBy('id', 'desc').limit(limit);
  if (filter.clusterId !== undefined) q.where({ cluster_id: filter.clusterId });
  if (filter.appId !== undefined) q.where({ app_id: filter.appId });
  const rows = await q;
  return rows.map((r: { id: number; at: string; source: DecisionRow['source']; from: number; to: number; reason: string; inputs: string; dry_run: number | boolean; role: string | null; process_type: string | null }) => ({
    id: r.id, at: r.at, source: r.source, from: r.from, to: r.to, reason: r.reason, inputs: JSON.parse(r.inputs) as Record<string, unknown>,
    dryRun: Boolean(r.dry_run), role: r.role, type: r.process_type,
  }));
}
