// audit: the audit log (admin), newest first; --json is the export.
import type { Command } from '../command.ts';
import { formatTime, table } from '../output.ts';
import { checkName, checkWhen } from '../scopes.ts';
import type { AuditEntry } from '../types.ts';

const OUTCOMES = ['ok', 'denied', 'failed'];

const audit: Command = {
  name: 'audit',
  summary: 'Show the audit log, newest first (admin)',
  options: {
    since: { type: 'string', value: 'WHEN', description: 'only entries since 30m, 12h, 7d ago or an ISO date' },
    actor: { type: 'string', value: 'USER', description: 'only what this user did' },
    action: { type: 'string', value: 'ACTION', description: 'only this action (or actions beginning so), e.g. config.change or "PATCH /api/apps/:app/config"' },
    target: { type: 'string', value: 'TARGET', description: 'only entries about this target, e.g. an app' },
    outcome: { type: 'string', value: 'OUTCOME', description: 'ok, denied or failed' },
    limit: { type: 'string', short: 'n', value: 'N', description: 'at most N entries' },
  },
  json: true,
  description: 'With --json, prints the entries as the API returns them (detail included): that is the export.',
  examples: [
    'scalarium audit --since 1d',
    'scalarium audit --actor alice --outcome denied',
    'scalarium audit --since 2026-01-01 --json > audit.json',
  ],
  async run(ctx) {
    const since = ctx.string('since');
    if (since !== undefined) checkWhen(ctx, 'since', since, 'dhm', false);
    const actor = ctx.string('actor');
    if (actor !== undefined) checkName(ctx, 'user', actor);
    const action = ctx.string('action');
    // An action is a name (config.change) or, for a refused request, its method and route
    // (PATCH /api/apps/:app/config); either may be given by its beginning (PATCH, git.).
    if (action !== undefined && !/^(?:[a-z][a-z0-9_.-]{0,63}|[A-Z]{3,7}(?: \/[A-Za-z0-9/:._-]{0,240})?)$/.test(action)) {
      throw ctx.usage(`${JSON.stringify(action)} is not an action.`, 'Actions look like config.change or app.destroy, or for a refused request like "PATCH /api/apps/:app/config".');
    }
    const target = ctx.string('target');
    if (target !== undefined && (target === '' || target.length > 200)) throw ctx.usage('--target needs a value of at most 200 characters.');
    const outcome = ctx.string('outcome');
    if (outcome !== undefined && !OUTCOMES.includes(outcome)) {
      throw ctx.usage(`${JSON.stringify(outcome)} is not an outcome.`, 'Use ok, denied or failed.');
    }
    const limit = ctx.string('limit');
    if (limit !== undefined && (!/^\d{1,6}$/.test(limit) || Number(limit) === 0)) {
      throw ctx.usage(`--limit must be a whole number above 0, got ${JSON.stringify(limit)}.`);
    }
    const entries = await (await ctx.api()).get<AuditEntry[]>('/api/audit', {
      since, actor, action, target, outcome, limit: limit === undefined ? undefined : Number(limit),
    });
    if (ctx.json) return ctx.printJson(entries);
    if (entries.length === 0) {
      ctx.out('No audit entries match.');
      return;
    }
    ctx.out(table(['AT', 'ACTOR', 'ACTION', 'TARGET', 'OUTCOME', 'SOURCE'],
      entries.map((e) => [formatTime(e.at), actorCell(e), e.action, e.target || '-', e.outcome, e.source || '-'])));
  },
};

export const commands: Command[] = [audit];

/** "alice (token ci)" when an API token acted, so a scoped token's work is told from its owner's. */
function actorCell(entry: AuditEntry): string {
  const token = (entry.detail as { token?: unknown } | null | undefined)?.token;
  return `${entry.actor ?? '-'}${typeof token === 'string' ? ` (token ${token})` : ''}`;
}
