// GET /api/usage?month=2026-11&by=app|cluster|user[&format=csv]: a month's usage and cost, filtered
// to what the caller may read (every principal may ask; an app's viewers see its rows, a cluster's
// viewers its instances, admins everything). GET /api/usage/prices?month=: the prices that hold
// that month. PUT /api/usage/prices: an admin sets prices (bodies.ts).
import type Router from '@koa/router';
import { declare, readJson, serverResource, type Scalarium } from '../../server/plugin-api.ts';
import { usageCsv } from './csv.ts';
import { priceTable } from './prices.ts';
import { parseFormat, parseGrouping, parseMonth } from './query.ts';
import { updatePrices, usageReport } from './service.ts';
import type { Accountant } from './accountant.ts';
import type { IntervalStore } from './store.ts';

export const csvFileName = (month: string, by: string): string => `scalarium-usage-${month}-by-${by}.csv`;

export function usageRoutes(scalarium: Scalarium, router: Router, store: IntervalStore, accountant: Accountant): void {
  declare(scalarium, router, {
    method: 'get', path: '/api/usage', action: 'read', resource: serverResource,
    async handler(ctx, principal) {
      const now = accountant.clock.now();
      const month = parseMonth(ctx.query.month, now);
      const by = parseGrouping(ctx.query.by);
      const format = parseFormat(ctx.query.format, ctx.get('accept'));
      const report = await usageReport(scalarium, store, principal, { month, by, now });
      if (format === 'csv') {
        ctx.type = 'text/csv; charset=utf-8';
        ctx.set('Content-Disposition', `attachment; filename="${csvFileName(month, by)}"`);
        ctx.body = usageCsv(report);
      } else {
        ctx.body = report;
      }
    },
  });
  declare(scalarium, router, {
    method: 'get', path: '/api/usage/prices', action: 'read', resource: serverResource,
    async handler(ctx) {
      ctx.body = await priceTable(scalarium.db, parseMonth(ctx.query.month, accountant.clock.now()));
    },
  });
  declare(scalarium, router, {
    method: 'put', path: '/api/usage/prices', action: 'admin', resource: serverResource,
    async handler(ctx, principal) {
      ctx.body = await updatePrices(scalarium, principal, await readJson(ctx), accountant.clock.now());
    },
  });
}
