// The usage_intervals table (migrations/001-usage.ts): opening, closing and renewing intervals,
// the recovery after a crash, and the rows a month's report reads. Every write is idempotent:
// an open is ignored when the subject has an open interval already (the unique open_key), a close
// only touches intervals still open.
import type { Db } from '../../server/plugin-api.ts';

export type SubjectKind = 'instance' | 'process';

/** What a subject is billed under, copied into each of its intervals. */
export interface SubjectNames {
  clusterId: number;
  cluster: string;
  instanceId: string;
  role?: string;
  instanceType?: string;
  appId?: number;
  app?: string;
  processType?: string;
  size?: string;
  owner?: string;
}

export interface Subject extends SubjectNames {
  kind: SubjectKind;
  /** The instance id or the process id. */
  id: string;
  /** When it came into being, by the wall clock (a process row's created_at), if known. */
  since?: number;
}

export interface OpenInterval { id: number; kind: SubjectKind; subject: string; startedMs: number; heartbeatMs: number }

export interface IntervalRow extends SubjectNames {
  id: number; kind: SubjectKind; subject: string; startedMs: number; heartbeatMs: number; endedMs: number | null; endReason: string | null;
}

const TABLE = 'usage_intervals';
const CHUNK = 400;
export const subjectKey = (kind: SubjectKind, id: string): string => `${kind}:${id}`;

export class IntervalStore {
  constructor(
    private readonly db: Db,
    /** Intervals are this server's: it renews them, and closes them after its own crash. */
    private readonly serverId: string,
  ) {}

  async openIntervals(): Promise<OpenInterval[]> {
    const rows = await this.db(TABLE).whereNull('ended_ms').where({ server_id: this.serverId }).select('id', 'kind', 'subject', 'started_ms', 'heartbeat_ms');
    return rows.map((r) => ({ id: Number(r.id), kind: r.kind, subject: r.subject, startedMs: Number(r.started_ms), heartbeatMs: Number(r.heartbeat_ms) }));
  }

  /** Opens an interval per subject from its `startMs`; a subject that has one open keeps it. */
  async open(subjects: Array<{ subject: Subject; startMs: number }>, heartbeatMs: number): Promise<void> {
    const rows = subjects.map(({ subject: s, startMs }) => ({
      kind: s.kind, subject: s.id, open_key: subjectKey(s.kind, s.id), server_id: this.serverId,
      cluster_id: s.clusterId, cluster: s.cluster, instance_id: s.instanceId, role: s.role ?? null, instance_type: s.instanceType ?? null,
      app_id: s.appId ?? null, app: s.app ?? null, process_type: s.processType ?? null, size: s.size ?? null, owner: s.owner ?? null,
      started_ms: startMs, heartbeat_ms: Math.max(startMs, heartbeatMs), ended_ms: null, end_reason: null,
    }));
    for (const chunk of chunks(rows, 40)) await this.db(TABLE).insert(chunk).onConflict('open_key').ignore();
  }

  /** Closes the intervals (those still open) at `endMs`, never before they started. */
  async close(ids: number[], endMs: number, reason: string): Promise<number> {
    let closed = 0;
    for (const chunk of chunks(ids, CHUNK)) {
      closed += await this.db(TABLE).whereIn('id', chunk).whereNull('ended_ms').update({
        ended_ms: this.db.raw('CASE WHEN started_ms > ? THEN started_ms ELSE ? END', [endMs, endMs]),
        heartbeat_ms: this.db.raw('CASE WHEN started_ms > ? THEN started_ms ELSE ? END', [endMs, endMs]),
        open_key: null, end_reason: reason,
      });
    }
    return closed;
  }

  /** One statement for every open interval of this server: they were all seen running at `nowMs`. */
  async renew(nowMs: number): Promise<void> {
    await this.db(TABLE).whereNull('ended_ms').where({ server_id: this.serverId }).where('heartbeat_ms', '<', nowMs).update({ heartbeat_ms: nowMs });
  }

  /**
   * After a crash (kill -9, power loss): this server's intervals still open end at their last
   * heartbeat, the last time they were known to run. Returns how many were closed.
   */
  async closeAtHeartbeat(reason: string): Promise<number> {
    return this.db(TABLE).whereNull('ended_ms').where({ server_id: this.serverId })
      .update({ ended_ms: this.db.ref('heartbeat_ms'), open_key: null, end_reason: reason });
  }

  /** The latest time any interval records (ms), or undefined when there is none. */
  async latestTime(): Promise<number | undefined> {
    const row = await this.db(TABLE).max({ ended: 'ended_ms', heartbeat: 'heartbeat_ms' }).first();
    const times = [row?.ended, row?.heartbeat].filter((v) => v !== null && v !== undefined).map(Number);
    return times.length ? Math.max(...times) : undefined;
  }

  /** Which of these subjects had an interval before (those are not backdated when they come back). */
  async seenBefore(subjects: Subject[]): Promise<Set<string>> {
    const seen = new Set<string>();
    for (const kind of ['instance', 'process'] as const) {
      const ids = subjects.filter((s) => s.kind === kind).map((s) => s.id);
      for (const chunk of chunks(ids, CHUNK)) {
        for (const r of await this.db(TABLE).where({ kind }).whereIn('subject', chunk).distinct('subject')) seen.add(subjectKey(kind, r.subject));
      }
    }
    return seen;
  }

  /** Every interval that overlaps [from, to) (ms), open ones included. */
  async overlapping(from: number, to: number, kind?: SubjectKind): Promise<IntervalRow[]> {
    const q = this.db(TABLE).where('started_ms', '<', to).andWhere((w) => w.whereNull('ended_ms').orWhere('ended_ms', '>', from)).orderBy('id');
    if (kind) q.where({ kind });
    return (await q).map(toRow);
  }
}

function toRow(r: Record<string, any>): IntervalRow {
  const optional = <T>(v: T | null): T | undefined => (v === null ? undefined : v);
  return {
    id: Number(r.id), kind: r.kind, subject: r.subject, startedMs: Number(r.started_ms), heartbeatMs: Number(r.heartbeat_ms),
    endedMs: r.ended_ms === null ? null : Number(r.ended_ms), endReason: r.end_reason,
    clusterId: Number(r.cluster_id), cluster: r.cluster, instanceId: r.instance_id, role: optional(r.role), instanceType: optional(r.instance_type),
    appId: r.app_id === null ? undefined : Number(r.app_id), app: optional(r.app), processType: optional(r.process_type), size: optional(r.size), owner: optional(r.owner),
  };
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
