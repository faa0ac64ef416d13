// Every mutation writes one audit row (invariant 8) and tells observers through the audit hook.
import type { Scalarium } from './scalarium.ts';
import type { Principal } from '../db/identity.ts';
import { appendAudit, type AuditEntry } from '../db/audit.ts';

/** The token name a UI session's principal carries (plugins/access): not an API token. */
export const UI_SESSION = 'ui-session';

export async function audit(
  scalarium: Scalarium, actor: Principal | string, action: string, target: string | undefined,
  options: { outcome?: AuditEntry['outcome']; detail?: Record<string, unknown>; source?: string } = {},
): Promise<void> {
  const name = typeof actor === 'string' ? actor : actor.user.name;
  const outcome = options.outcome ?? 'ok';
  const source = options.source ?? (typeof actor === 'string' ? undefined : actor.source);
  // Which credential acted: an API token is named (a scoped CI token is not its owner at the keyboard).
  const token = typeof actor !== 'string' && actor.tokenName && actor.tokenName !== UI_SESSION ? actor.tokenName : undefined;
  const detail = token ? { ...options.detail, token } : options.detail;
  await appendAudit(scalarium.db, { actor: name, action, target, outcome, detail, source });
  scalarium.hooks.audit.call({ actor: name, action, target, outcome, source });
}
