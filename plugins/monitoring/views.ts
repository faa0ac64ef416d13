// What the API, the CLI and the pages show: an app's traffic, errors, latency percentiles and its
// process types' CPU and memory; a cluster's load, CPU, memory and disk per instance and per role.
// Each series is [ms, value | null] pairs, at the step the store chose for the range.
import type { MetricUnit } from './catalogue.ts';
import type { MetricStore, MetricQuery } from './store/metric-store.ts';
import type { Labels, Point } from './store/types.ts';

export interface SeriesView { name: string; unit: MetricUnit; labels: Labels; points: Array<[number, number | null]> }
interface Common { from: string; to: string; stepMs: number; resolution: string; series: SeriesView[] }
export interface AppMetricsAnswer extends Common { app: string }
export interface ClusterMetricsAnswer extends Common { cluster: string }
export type MetricsAnswer = AppMetricsAnswer | ClusterMetricsAnswer;

const pairs = (points: Point[]): Array<[number, number | null]> => points.map((p) => [p.at, p.value === null ? null : round(p.value)]);
const round = (n: number): number => (Math.abs(n) >= 100 ? Math.round(n) : Math.round(n * 1000) / 1000);

class ViewBuilder {
  readonly series: SeriesView[] = [];
  stepMs = 0;
  resolution = '10s';

  constructor(private readonly store: MetricStore, private readonly range: { from: number; to: number }) {}

  async query(q: Omit<MetricQuery, 'from' | 'to'>): Promise<Array<{ labels: Labels; points: Point[] }>> {
    const answer = await this.store.query({ ...q, ...this.range });
    this.stepMs = answer.stepMs;
    this.resolution = answer.resolution;
    // The bucket under way is left out: half its requests would read as a drop in traffic.
    const complete = (p: Point) => p.at + answer.stepMs <= this.range.to;
    return answer.series.map((x) => ({ labels: x.labels, points: x.points.filter(complete) }));
  }

  add(name: string, unit: MetricUnit, found: Array<{ labels: Labels; points: Point[] }>, keep: (labels: Labels) => Labels = () => ({})): void {
    for (const s of found) if (s.points.length) this.series.push({ name, unit, labels: keep(s.labels), points: pairs(s.points) });
  }

  answer(): Common {
    return { from: new Date(this.range.from).toISOString(), to: new Date(this.range.to).toISOString(), stepMs: this.stepMs, resolution: this.resolution, series: this.series };
  }
}

export async function appMetrics(store: MetricStore, app: string, range: { from: number; to: number }): Promise<AppMetricsAnswer> {
  const v = new ViewBuilder(store, range);
  const labels = { app };
  const requests = await v.query({ metric: 'requests', labels, rate: true });
  v.add('requests_per_second', 'per_second', requests);
  // Of the buckets with requests: a bucket without a 5xx is a real 0 %.
  const errors = new Map((await v.query({ metric: 'responses', labels: { app, status: '5xx' }, rate: true }))[0]?.points.map((p) => [p.at, p.value ?? 0]) ?? []);
  const errorRate = (requests[0]?.points ?? []).map((p): Point => ({ at: p.at, count: p.count, value: p.value ? (100 * (errors.get(p.at) ?? 0)) / p.value : null }));
  v.add('error_rate_percent', 'percent', errorRate.length ? [{ labels, points: errorRate }] : []);
  for (const [name, q] of [['p50_ms', 0.5], ['p95_ms', 0.95], ['p99_ms', 0.99]] as const) {
    v.add(name, 'ms', await v.query({ metric: 'response_ms', labels, quantile: q }));
  }
  const byType = (l: Labels) => ({ type: l.type ?? '' });
  v.add('cpu_percent', 'percent', await v.query({ metric: 'process_cpu_percent', labels, groupBy: 'type', aggregate: 'avg' }), byType);
  v.add('memory_bytes', 'bytes', await v.query({ metric: 'process_memory_bytes', labels, groupBy: 'type', aggregate: 'avg' }), byType);
  return { app, ...v.answer() };
}

export async function clusterMetrics(store: MetricStore, cluster: string, range: { from: number; to: number }): Promise<ClusterMetricsAnswer> {
  const v = new ViewBuilder(store, range);
  const labels = { cluster };
  const roleOf = new Map((await store.seriesOf('instance_load1', labels)).map((l) => [l.instance, l.role ?? '']));
  const byInstance = (l: Labels) => ({ instance: l.instance ?? '', role: roleOf.get(l.instance) ?? '' });
  const byRole = (l: Labels) => ({ role: l.role ?? '' });
  for (const [name, metric, unit] of [
    ['load1', 'instance_load1', 'load'], ['cpu_percent', 'instance_cpu_percent', 'percent'],
    ['memory_percent', 'instance_memory_percent', 'percent'], ['disk_percent', 'instance_disk_percent', 'percent'],
  ] as const) {
    v.add(name, unit, await v.query({ metric, labels, groupBy: 'instance', aggregate: 'avg' }), byInstance);
    v.add(`role_${name}`, unit, await v.query({ metric, labels, groupBy: 'role', aggregate: 'avg' }), byRole);
  }
  return { cluster, ...v.answer() };
}
