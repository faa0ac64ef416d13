// GET /usage: the Usage page (in the top menu for everyone): a month's usage and cost by app and by
// cluster, with links to the CSV of each grouping (GET /usage.csv, the same report as the API's).
// Each person sees what the API would show them; ?month=YYYY-MM picks another month.
import type Router from '@koa/router';
import type Koa from 'koa';
import { requireSession, view, ScalariumError, type Scalarium } from '../../server/plugin-api.ts';
import { usageCsv } from './csv.ts';
import { monthOf, monthRange, parseGrouping, parseMonth } from './query.ts';
import type { AppRow, ClusterRow } from './report.ts';
import { usageReport } from './service.ts';
import { csvFileName } from './routes.ts';
import type { Accountant } from './accountant.ts';
import type { IntervalStore } from './store.ts';

export const USAGE_PATH = '/usage';

// Under a minute shows as seconds, under an hour as minutes: "0.00 h" would read as nothing ran.
const hours = (seconds: number): string => (seconds < 60 ? `${Math.round(seconds)} s` : seconds < 3600 ? `${(seconds / 60).toFixed(1)} min` : `${(seconds / 3600).toFixed(2)} h`);
const money = (amount: number, currency: string): string => `${amount.toFixed(2)} ${currency}`;
const otherMonth = (month: string, delta: number): string => {
  const { from } = monthRange(month);
  const d = new Date(from);
  return monthOf(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + delta, 1));
};

export function usagePages(scalarium: Scalarium, router: Router, store: IntervalStore, accountant: Accountant): void {
  router.get(USAGE_PATH, async (ctx) => {
    const session = await requireSession(scalarium, ctx);
    if (!session) return;
    const now = accountant.clock.now();
    let month: string;
    try {
      month = parseMonth(ctx.query.month, now);
    } catch (error) {
      if (!(error instanceof ScalariumError)) throw error;
      view(scalarium, ctx, 'accounting/usage', { title: 'Usage', error: { message: error.message, hint: error.hint } }, session);
      ctx.status = error.status;
      return;
    }
    const [byApp, byCluster] = await Promise.all([
      usageReport(scalarium, store, session.principal, { month, by: 'app', now }),
      usageReport(scalarium, store, session.principal, { month, by: 'cluster', now }),
    ]);
    const currency = byApp.currency;
    view(scalarium, ctx, 'accounting/usage', {
      title: `Usage · ${month}`, month, from: byApp.from, to: byApp.to, currency,
      previous: otherMonth(month, -1), next: month < monthOf(now) ? otherMonth(month, 1) : undefined,
      apps: (byApp.rows as AppRow[]).map((a) => ({
        ...a, hours: hours(a.processSeconds), money: money(a.cost, currency),
        types: a.processTypes.map((p) => `${p.type} ${hours(p.seconds)}`).join(', '),
      })),
      clusters: (byCluster.rows as ClusterRow[]).map((c) => ({
        ...c, hours: hours(c.instanceSeconds), money: money(c.cost, currency), processMoney: money(c.processCost, currency),
        kinds: c.instances.map((i) => `${i.role} (${i.instanceType}${i.priced ? '' : ', no price'}) ${hours(i.seconds)}`).join(', '),
      })),
      appTotal: money(byApp.total.cost, currency), clusterTotal: money(byCluster.total.cost, currency),
    }, session);
  });

  router.get(`${USAGE_PATH}.csv`, async (ctx: Koa.Context) => {
    const session = await requireSession(scalarium, ctx);
    if (!session) return;
    const now = accountant.clock.now();
    const month = parseMonth(ctx.query.month, now);
    const by = parseGrouping(ctx.query.by);
    ctx.type = 'text/csv; charset=utf-8';
    ctx.set('Content-Disposition', `attachment; filename="${csvFileName(month, by)}"`);
    ctx.body = usageCsv(await usageReport(scalarium, store, session.principal, { month, by, now }));
  });
}
