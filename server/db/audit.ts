// The audit log is append-only: this module has no update or delete.
import { now, type Db } from './knex.ts';

export interface AuditEntry {
  actor: string;
  source?: string;
  action: string;
  target?: string;
  outcome: 'ok' | 'denied' | 'failed';
  detail?: Record<string, unknown>;
}

export async function appendAudit(db: Db, entry: AuditEntry): Promise<void> {
  await db('audit').insert({
    at: now(), actor: entry.actor, source: entry.source ?? null, action: entry.action,
    target: entry.target ?? null, outcome: entry.outcome, detail: entry.detail ? JSON.stringify(entry.detail) : null,
  });
}

export interface AuditQuery { since?: string; actor?: string; action?: string; target?: string; outcome?: AuditEntry['outcome']; limit?: number }

export async function queryAudit(db: Db, query: AuditQuery = {}): Promise<Array<AuditEntry & { id: number; at: string }>> {
  const q = db('audit').orderBy('id', 'desc').limit(query.limit ?? 100);
  if (query.since) q.where('at', '>=', query.since);
  if (query.actor) q.where({ actor: query.actor });
  if (query.action) q.where('action', 'like', `${query.action.replace(/[%_]/g, '')}%`);
  if (query.target) q.where({ target: query.target });
  if (query.outcome) q.where({ outcome: query.outcome });
  const rows = await q;
  return rows.map((r) => ({ ...r, detail: r.detail ? JSON.parse(r.detail) : undefined }));
}

export async function listAudit(db: Db, limit = 100): Promise<Array<AuditEntry & { id: number; at: string }>> {
  return queryAudit(db, { limit });
}
