// What monitoring answers to other plugins (alerting, autoscaling) through the metricCatalogue and
// metricValue hooks: one figure of a named metric over a recent window, e.g. an app's p95 over the
// last minute or a role's CPU. The names are those of the API's series (views.ts), so what a user
// sees on a graph is what a rule is written against.
import type { MetricInfo, MetricValue, MetricValueQuery } from '../../server/plugin-api.ts';
import type { MetricQuery, MetricStore } from './store/metric-store.ts';
import type { Labels } from './store/types.ts';

type Question = Omit<MetricQuery, 'from' | 'to' | 'labels' | 'whole'>;

interface Answerable extends MetricInfo {
  /** How the figure is read from the store; the labels come from the question's scope. */
  read(store: MetricStore, labels: Labels, range: { from: number; to: number }): Promise<number | null>;
}

const single = (q: Question) => async (store: MetricStore, labels: Labels, range: { from: number; to: number }) =>
  (await store.query({ ...q, ...range, labels, whole: true })).series[0]?.points[0]?.value ?? null;

const appFigure = (name: string, unit: MetricInfo['unit'], help: string, q: Question): Answerable =>
  ({ name, unit, help, about: 'app', read: single(q) });
const clusterFigure = (name: string, unit: MetricInfo['unit'], help: string, q: Question): Answerable =>
  ({ name, unit, help, about: 'cluster', read: single(q) });

const quantileOf = (name: string, q: number) => appFigure(name, 'ms', `response time, ${q * 100}th percentile`, { metric: 'response_ms', quantile: q });

export const ANSWERABLE: readonly Answerable[] = [
  appFigure('requests_per_second', 'per_second', 'requests through the router, per second', { metric: 'requests', rate: true }),
  {
    name: 'error_rate_percent', unit: 'percent', help: 'responses with a 5xx status, % of requests', about: 'app',
    async read(store, labels, range) {
      const requests = await single({ metric: 'requests' })(store, labels, range);
      if (!requests) return null; // no traffic: no error rate (not 0 %, not 100 %)
      const errors = (await single({ metric: 'responses' })(store, { ...labels, status: '5xx' }, range)) ?? 0;
      return (100 * errors) / requests;
    },
  },
  quantileOf('p50_ms', 0.5),
  quantileOf('p95_ms', 0.95),
  quantileOf('p99_ms', 0.99),
  appFigure('cpu_percent', 'percent', 'CPU of the app\'s processes (of a type, with type), average per process, % of one core', { metric: 'process_cpu_percent', aggregate: 'avg' }),
  appFigure('memory_bytes', 'bytes', 'resident memory per process (of a type, with type), average', { metric: 'process_memory_bytes', aggregate: 'avg' }),
  clusterFigure('load1', 'load', 'load average over one minute, averaged over the instances (of a role, or one instance)', { metric: 'instance_load1', aggregate: 'avg' }),
  clusterFigure('instance_cpu_percent', 'percent', 'CPU of all cores, averaged over the instances', { metric: 'instance_cpu_percent', aggregate: 'avg' }),
  clusterFigure('instance_memory_percent', 'percent', 'memory in use, averaged over the instances', { metric: 'instance_memory_percent', aggregate: 'avg' }),
  clusterFigure('instance_disk_percent', 'percent', 'disk in use, the fullest instance', { metric: 'instance_disk_percent', aggregate: 'max' }),
];

export const catalogue = (): MetricInfo[] => ANSWERABLE.map(({ name, unit, help, about }) => ({ name, unit, help, about }));

/** The store's labels for a scope: app metrics carry {app, type}, instance metrics {cluster, role, instance}. */
function labelsOf(figure: Answerable, scope: MetricValueQuery['scope']): Labels | undefined {
  if (figure.about === 'app') {
    if (!scope.app) return undefined;
    return { app: scope.app, ...(scope.type ? { type: scope.type } : {}) };
  }
  if (!scope.cluster) return undefined;
  return { cluster: scope.cluster, ...(scope.role ? { role: scope.role } : {}), ...(scope.instance ? { instance: scope.instance } : {}) };
}

export async function answer(store: MetricStore, q: MetricValueQuery, now = Date.now()): Promise<MetricValue | undefined> {
  const figure = ANSWERABLE.find((f) => f.name === q.metric);
  if (!figure) return undefined;
  const labels = labelsOf(figure, q.scope);
  if (!labels) return { value: null, unit: figure.unit };
  const to = q.now ?? now;
  return { value: await figure.read(store, labels, { from: to - q.windowMs, to }), unit: figure.unit };
}
