// What the API, the CLI and the Usage page share: a month's report for one principal (filtered to
// what they may read), the price table, and setting prices (admins; checked, one audit row).
import { audit, parseBody, type Principal, type Scalarium } from '../../server/plugin-api.ts';
import { pricesBody } from './bodies.ts';
import { setPrices, type PriceKind } from './db/prices.ts';
import { existing } from './db/live.ts';
import { microsOf, priceTable, type PriceTable } from './prices.ts';
import { monthOf, type Grouping } from './query.ts';
import { buildReport, type UsageReport, type Visibility } from './report.ts';
import { monthRange } from './query.ts';
import type { IntervalStore } from './store.ts';

/**
 * Who sees what: an app's usage its viewers and up (a cluster role covers its apps); a cluster's
 * instances its viewers and up. What is gone is judged by where it was: a destroyed app by its
 * cluster (if that still exists), a destroyed cluster by admins only.
 */
async function visibilityFor(scalarium: Scalarium, principal: Principal): Promise<Visibility> {
  const { apps, clusters } = await existing(scalarium.db);
  const cache = new Map<string, Promise<boolean>>();
  const may = (kind: 'app' | 'cluster' | 'server', name: string | undefined) => {
    const key = `${kind}:${name ?? ''}`;
    let answer = cache.get(key);
    if (!answer) {
      const action = kind === 'server' ? 'admin' : 'read';
      answer = scalarium.hooks.authorize.promise(principal, action, kind === 'server' ? { kind } : { kind, name }).then(Boolean);
      cache.set(key, answer);
    }
    return answer;
  };
  const cluster: Visibility['cluster'] = (r) => (clusters.get(r.clusterId) === r.cluster ? may('cluster', r.cluster) : may('server', undefined));
  return {
    cluster,
    app: (r) => (r.appId !== undefined && apps.get(r.appId) === r.app ? may('app', r.app) : cluster(r)),
    appGone: (id) => !apps.has(id),
    clusterGone: (id) => !clusters.has(id),
  };
}

export async function usageReport(scalarium: Scalarium, store: IntervalStore, principal: Principal, q: { month: string; by: Grouping; now: number }): Promise<UsageReport> {
  const { from, to } = monthRange(q.month);
  const [intervals, prices, visible] = await Promise.all([
    store.overlapping(from, to), priceTable(scalarium.db, q.month), visibilityFor(scalarium, principal),
  ]);
  return buildReport({ ...q, intervals, prices, visible });
}

/** Sets prices from the body's month on (this month by default); answers the table of that month. */
export async function updatePrices(scalarium: Scalarium, principal: Principal, raw: unknown, now: number): Promise<PriceTable> {
  const body = parseBody(pricesBody, raw);
  const from = body.from ?? monthOf(now);
  const changes = [
    ...Object.entries(body.instanceTypes ?? {}).map(([name, perHour]) => ({ kind: 'instance' as PriceKind, name, microsPerHour: perHour === null ? null : microsOf(perHour) })),
    ...Object.entries(body.sizes ?? {}).map(([name, perHour]) => ({ kind: 'size' as PriceKind, name, microsPerHour: perHour === null ? null : microsOf(perHour) })),
  ];
  await setPrices(scalarium.db, from, changes, principal.user.name, new Date().toISOString());
  await audit(scalarium, principal, 'usage.prices.set', from, { detail: { instanceTypes: body.instanceTypes ?? {}, sizes: body.sizes ?? {} } });
  return priceTable(scalarium.db, from);
}
