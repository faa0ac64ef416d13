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

export async function listAudit(db: Db, limit = 100): Promise<Array<AuditEntry & { at: string }>> {
  const rows = await db('audit').orderBy('id', 'desc').limit(limit);
  return rows.map((r) => ({ ...r, detail: r.detail ? JSON.parse(r.detail) : undefined }));
}
