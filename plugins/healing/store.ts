// The healing tables: one policy row per cluster that changed the defaults, and the events.
import { now, type Db } from '../../server/plugin-api.ts';
import { DEFAULT_POLICY, type HealingPolicy } from './policy.ts';

export type EventKind = 'suspect' | 'recovered' | 'replacing' | 'replaced' | 'would-replace' | 'paused' | 'resumed' | 'failed' | 'policy';

export interface HealingEvent { id: number; at: string; instance: string | null; kind: EventKind; reason: string }

interface PolicyRow { enabled: number | boolean; dry_run: number | boolean; suspect_after_ms: number; replace_after_ms: number }

export async function policyOf(db: Db, clusterId: number): Promise<HealingPolicy> {
  const row = (await db('healing_policies').where({ cluster_id: clusterId }).first()) as PolicyRow | undefined;
  if (!row) return { ...DEFAULT_POLICY };
  return { enabled: Boolean(row.enabled), dryRun: Boolean(row.dry_run), suspectAfterMs: row.suspect_after_ms, replaceAfterMs: row.replace_after_ms };
}

export async function savePolicy(db: Db, clusterId: number, policy: HealingPolicy, by: string): Promise<void> {
  const row = {
    cluster_id: clusterId, enabled: policy.enabled, dry_run: policy.dryRun, suspect_after_ms: policy.suspectAfterMs,
    replace_after_ms: policy.replaceAfterMs, updated_by: by, updated_at: now(),
  };
  await db('healing_policies').insert(row).onConflict('cluster_id').merge();
}

export async function addEvent(db: Db, clusterId: number, kind: EventKind, instance: string | null, reason: string): Promise<void> {
  await db('healing_events').insert({ cluster_id: clusterId, at: now(), instance_id: instance, kind, reason: reason.slice(0, 1000) });
}

export async function listEvents(db: Db, clusterId: number, limit = 50): Promise<HealingEvent[]> {
  const rows = await db('healing_events').where({ cluster_id: clusterId }).orderBy('id', 'desc').limit(limit);
  return rows.map((r: { id: number; at: string; instance_id: string | null; kind: EventKind; reason: string }) => ({ id: r.id, at: r.at, instance: r.instance_id, kind: r.kind, reason: r.reason }));
}
