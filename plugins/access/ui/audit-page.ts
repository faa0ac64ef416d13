// GET /audit (admins): the audit log, newest first, filtered like the API's /api/audit (the same
// parseAuditQuery), and GET /audit.json: the same rows as a JSON download.
import type Router from '@koa/router';
import type Koa from 'koa';
import { type Scalarium, ScalariumError, queryAudit, authorizeServer, requireSession, view } from '../../../server/plugin-api.ts';
import { parseAuditQuery } from '../audit-query.ts';

const FILTERS = ['since', 'actor', 'action', 'target', 'outcome', 'limit'] as const;
type Filters = Partial<Record<(typeof FILTERS)[number], string>>;

/** The filters as typed (for the form and the export link); parseAuditQuery validates them. */
function typedFilters(ctx: Koa.Context): Filters {
  const filters: Filters = {};
  for (const key of FILTERS) {
    const value = ctx.query[key];
    if (typeof value === 'string' && value.trim()) filters[key] = value.trim().slice(0, 255);
  }
  return filters;
}

async function rows(scalarium: Scalarium, filters: Filters) {
  return queryAudit(scalarium.db, parseAuditQuery(filters));
}

export function auditPageRoutes(scalarium: Scalarium, router: Router): void {
  router.get('/audit', async (ctx) => {
    const session = await requireSession(scalarium, ctx);
    if (!session) return;
    await authorizeServer(scalarium, ctx, session.principal, 'admin');
    const filters = typedFilters(ctx);
    let entries: Awaited<ReturnType<typeof rows>> = [];
    let error: { message: string; hint?: string } | undefined;
    let status = 200;
    try {
      entries = await rows(scalarium, filters);
    } catch (failure) {
      if (!(failure instanceof ScalariumError)) throw failure;
      error = { message: failure.message, hint: failure.hint };
      status = failure.status;
    }
    view(scalarium, ctx, 'access/audit', {
      title: 'Audit log',
      filters,
      outcomes: ['ok', 'denied', 'failed'].map((value) => ({ value, selected: filters.outcome === value })),
      entries: entries.map((e) => ({ ...e, detail: e.detail === undefined ? '' : JSON.stringify(e.detail) })),
      exportHref: `/audit.json${Object.keys(filters).length ? `?${new URLSearchParams(filters)}` : ''}`,
      error,
    }, session);
    ctx.status = status;
  });

  router.get('/audit.json', async (ctx) => {
    const session = await requireSession(scalarium, ctx);
    if (!session) return;
    await authorizeServer(scalarium, ctx, session.principal, 'admin');
    const entries = await rows(scalarium, typedFilters(ctx));
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    ctx.type = 'application/json; charset=utf-8';
    ctx.set('Content-Disposition', `attachment; filename="scalarium-audit-${stamp}.json"`);
    ctx.body = `${JSON.stringify(entries, null, 2)}\n`;
  });
}
