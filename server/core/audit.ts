// Every mutation writes one audit row (invariant 8) and tells observers through the audit hook.
import type { Scalarium } from './scalarium.ts';
import type { Principal } from '../db/identity.ts';
import { appendAudit, type AuditEntry } from '../db/audit.ts';

export async function audit(
  scalarium: Scalarium, actor: Principal | string, action: string, target: string | undefined,
  options: { outcome?: AuditEntry['outcome']; detail?: Record<string, unknown>; source?: string } = {},
): Promise<void> {
  const name = typeof actor === 'string' ? actor : actor.user.name;
  const outcome = options.outcome ?? 'ok';
  const source = options.source ?? (typeof actor === 'string' ? undefined : actor.source);
  await appendAudit(scalarium.db, { actor: name, action, target, outcome, detail: options.detail, source });
  scalarium.hooks.audit.call({ actor: name, action, target, outcome, source });
}
