// Filters for reading the audit log, from a query string (API and UI alike).
import { ScalariumError, type AuditQuery } from '../../server/plugin-api.ts';

export function parseSince(value: string): string {
  const relative = /^(\d{1,5})([dhm])$/.exec(value);
  const at = relative ? Date.now() - Number(relative[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[relative[2] as 'd' | 'h' | 'm'] : Date.parse(value);
  if (!Number.isFinite(at)) throw new ScalariumError('invalid_body', { reason: 'since must be like 1d, 12h, 30m or an ISO date' });
  return new Date(at).toISOString();
}

export function parseAuditQuery(query: Record<string, unknown>): AuditQuery {
  const text = (key: string) => (typeof query[key] === 'string' && query[key] !== '' ? (query[key] as string).slice(0, 255) : undefined);
  const since = text('since');
  const limit = Number(text('limit') ?? 100);
  const outcome = text('outcome');
  if (outcome && !['ok', 'denied', 'failed'].includes(outcome)) throw new ScalariumError('invalid_body', { reason: 'outcome is ok, denied or failed' });
  return {
    since: since ? parseSince(since) : undefined, actor: text('actor'), action: text('action'), target: text('target'),
    outcome: outcome as AuditQuery['outcome'], limit: Number.isInteger(limit) ? Math.min(Math.max(limit, 1), 5000) : 100,
  };
}
