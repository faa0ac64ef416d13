// A month's usage and cost, from the intervals: each one's overlap with the month (an open one up
// to now), summed per app and process type, per cluster and instance role/type, or per owner. An
// app is its id, not its name: a destroyed app stays billable, and a new app of the same name
// starts a row of its own. Only what `visible` allows is read into the answer, so totals say
// nothing about what the caller may not see.
import { monthRange, type Grouping } from './query.ts';
import { pricer, type PriceTable } from './prices.ts';
import type { IntervalRow } from './store.ts';

export interface Item { seconds: number; pricePerHour: number; priced: boolean; cost: number }
export interface ProcessTypeItem extends Item { type: string; size: string }
export interface InstanceItem extends Item { role: string; instanceType: string }
export interface AppRow { app: string; cluster: string; owner: string; destroyed: boolean; processSeconds: number; cost: number; processTypes: ProcessTypeItem[] }
export interface ClusterRow {
  cluster: string; destroyed: boolean; instanceSeconds: number;
  /** What the cluster's instances cost. */
  cost: number;
  /** What its apps' processes are charged, for comparison (part of the apps' cost, not of this one). */
  processSeconds: number; processCost: number; instances: InstanceItem[];
}
export interface UserRow { user: string; processSeconds: number; cost: number; apps: Array<{ app: string; cluster: string; destroyed: boolean; seconds: number; cost: number }> }

export interface UsageReport {
  month: string; by: Grouping; from: string; to: string; currency: string;
  rows: AppRow[] | ClusterRow[] | UserRow[];
  total: { seconds: number; cost: number };
}

export interface Visibility {
  app(row: Pick<IntervalRow, 'appId' | 'app' | 'clusterId' | 'cluster'>): Promise<boolean>;
  cluster(row: Pick<IntervalRow, 'clusterId' | 'cluster'>): Promise<boolean>;
  /** Whether the app (by id) or cluster (by id) is gone. */
  appGone(appId: number): boolean;
  clusterGone(clusterId: number): boolean;
}

const round6 = (n: number): number => Math.round(n * 1e6) / 1e6;
const byName = <T>(key: (x: T) => string) => (a: T, b: T): number => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

function item(ms: number, price: { perHour: number; priced: boolean }): Item {
  const seconds = Math.round(ms / 1000);
  return { seconds, pricePerHour: price.perHour, priced: price.priced, cost: round6((seconds * price.perHour) / 3600) };
}

/** ms of the interval inside [from, to), an open one counted up to `now`. */
function overlapMs(i: IntervalRow, from: number, to: number, now: number): number {
  const end = Math.min(i.endedMs ?? now, to);
  return Math.max(0, end - Math.max(i.startedMs, from));
}

export async function buildReport(
  input: { month: string; by: Grouping; now: number; intervals: IntervalRow[]; prices: PriceTable; visible: Visibility },
): Promise<UsageReport> {
  const { month, by, now, prices, visible } = input;
  const { from, to } = monthRange(month);
  const price = pricer(prices);
  // Sums of ms per app and process type, and per cluster and instance role/type, of what may be seen.
  const apps = new Map<number, { row: IntervalRow; types: Map<string, { type: string; size: string; ms: number }> }>();
  const clusters = new Map<number, { row: IntervalRow; kinds: Map<string, { role: string; instanceType: string; ms: number }>; processMs: Map<string, number> }>();
  const clusterOf = (r: IntervalRow) => {
    let c = clusters.get(r.clusterId);
    if (!c) clusters.set(r.clusterId, (c = { row: r, kinds: new Map(), processMs: new Map() }));
    return c;
  };
  for (const r of input.intervals) {
    const ms = overlapMs(r, from, to, now);
    if (ms <= 0) continue;
    if (r.kind === 'process' && r.appId !== undefined) {
      if (by !== 'cluster' && !(await visible.app(r))) continue;
      if (by === 'cluster' && !(await visible.cluster(r))) continue;
      let a = apps.get(r.appId);
      if (!a) apps.set(r.appId, (a = { row: r, types: new Map() }));
      const key = `${r.processType}\u0000${r.size}`;
      const t = a.types.get(key) ?? { type: r.processType ?? '', size: r.size ?? '', ms: 0 };
      t.ms += ms;
      a.types.set(key, t);
      if (by === 'cluster') {
        const c = clusterOf(r);
        c.processMs.set(r.size ?? '', (c.processMs.get(r.size ?? '') ?? 0) + ms);
      }
    } else if (r.kind === 'instance' && by === 'cluster') {
      if (!(await visible.cluster(r))) continue;
      const c = clusterOf(r);
      const key = `${r.role}\u0000${r.instanceType}`;
      const k = c.kinds.get(key) ?? { role: r.role ?? '', instanceType: r.instanceType ?? '', ms: 0 };
      k.ms += ms;
      c.kinds.set(key, k);
    }
  }

  const appRows: AppRow[] = [...apps.values()].map(({ row, types }) => {
    const processTypes = [...types.values()].map((t) => ({ type: t.type, size: t.size, ...item(t.ms, price.size(t.size)) })).sort(byName((x) => x.type));
    return {
      app: row.app ?? '', cluster: row.cluster, owner: row.owner ?? '', destroyed: visible.appGone(row.appId!),
      processSeconds: processTypes.reduce((n, t) => n + t.seconds, 0), cost: round6(processTypes.reduce((n, t) => n + t.cost, 0)), processTypes,
    };
  }).sort(byName((a) => `${a.app}\u0000${a.destroyed ? 1 : 0}`));

  let rows: UsageReport['rows'];
  if (by === 'app') {
    rows = appRows;
  } else if (by === 'user') {
    const users = new Map<string, UserRow>();
    for (const a of appRows) {
      const u = users.get(a.owner) ?? { user: a.owner, processSeconds: 0, cost: 0, apps: [] };
      u.apps.push({ app: a.app, cluster: a.cluster, destroyed: a.destroyed, seconds: a.processSeconds, cost: a.cost });
      u.processSeconds += a.processSeconds;
      u.cost = round6(u.cost + a.cost);
      users.set(a.owner, u);
    }
    rows = [...users.values()].sort(byName((u) => u.user));
  } else {
    rows = [...clusters.values()].map(({ row, kinds, processMs }): ClusterRow => {
      const instances = [...kinds.values()].map((k) => ({ role: k.role, instanceType: k.instanceType, ...item(k.ms, price.instance(k.instanceType)) }))
        .sort(byName((x) => `${x.role}\u0000${x.instanceType}`));
      const processItems = [...processMs].map(([size, ms]) => item(ms, price.size(size)));
      return {
        cluster: row.cluster, destroyed: visible.clusterGone(row.clusterId),
        instanceSeconds: instances.reduce((n, i) => n + i.seconds, 0), cost: round6(instances.reduce((n, i) => n + i.cost, 0)),
        processSeconds: processItems.reduce((n, i) => n + i.seconds, 0), processCost: round6(processItems.reduce((n, i) => n + i.cost, 0)), instances,
      };
    }).sort(byName((c) => c.cluster));
  }
  const all = rows as Array<{ cost: number; processSeconds?: number; instanceSeconds?: number }>;
  return {
    month, by, from: new Date(from).toISOString(), to: new Date(Math.min(to, Math.max(from, now))).toISOString(), currency: prices.currency, rows,
    total: {
      seconds: all.reduce((n, r) => n + (by === 'cluster' ? r.instanceSeconds! : r.processSeconds!), 0),
      cost: round6(all.reduce((n, r) => n + r.cost, 0)),
    },
  };
}
