// The Metrics tabs: an app's requests/s, 5xx rate, response time (p50/p95/p99), CPU and memory per
// process type; a cluster's load, CPU, memory and disk per instance and per role. Last hour, day
// or week, drawn on the server as SVG (server/http/ui/graph.ts): no script needed.
import type Router from '@koa/router';
import type Koa from 'koa';
import {
  appTabs, authorizeApp, authorizeCluster, clusterTabs, requireApp, requireSession, view, ScalariumError, findCluster,
  type GraphOptions, type Scalarium, type UiSession,
} from '../../server/plugin-api.ts';
import type { MetricStore } from './store/metric-store.ts';
import { appMetrics, clusterMetrics, type SeriesView } from './views.ts';

export const RANGES = [{ key: '1h', label: 'Last hour', ms: 3_600_000 }, { key: '1d', label: 'Last day', ms: 86_400_000 }, { key: '7d', label: 'Last week', ms: 7 * 86_400_000 }] as const;

export const appMetricsPath = (app: string): string => `/apps/${encodeURIComponent(app)}/metrics`;
export const clusterMetricsPath = (cluster: string): string => `/clusters/${encodeURIComponent(cluster)}/metrics`;

function rangeOf(ctx: Koa.Context) {
  return RANGES.find((r) => r.key === ctx.query.range) ?? RANGES[0];
}

/** One graph of the series named `names`, each line labelled by `label`. */
function graph(id: string, title: string, series: SeriesView[], names: string[], label: (s: SeriesView) => string, answer: { from: string; to: string; stepMs: number }): GraphOptions {
  const chosen = series.filter((s) => names.includes(s.name));
  return {
    id, title, unit: chosen[0]?.unit ?? 'count', from: Date.parse(answer.from), to: Date.parse(answer.to), stepMs: answer.stepMs || 10_000,
    series: chosen.map((s) => ({ label: label(s), points: s.points.map(([at, value]) => ({ at, value })) })),
  };
}

function ranges(path: string, current: string) {
  return RANGES.map((r) => ({ href: `${path}?range=${r.key}`, label: r.label, current: r.key === current }));
}

export function metricsPages(scalarium: Scalarium, router: Router, store: MetricStore): void {
  router.get('/apps/:app/metrics', async (ctx) => {
    const session = await requireSession(scalarium, ctx);
    if (!session) return;
    await authorizeApp(scalarium, ctx, session.principal, 'read', ctx.params.app!);
    const app = await requireApp(scalarium, ctx.params.app!);
    const range = rangeOf(ctx);
    const to = Date.now();
    const answer = await appMetrics(store, app.name, { from: to - range.ms, to });
    const s = answer.series;
    const byType = (v: SeriesView) => v.labels.type ?? '';
    render(scalarium, ctx, session, {
      title: `${app.name} · metrics`, appName: app.name, ...appTabs(scalarium, session, app.name, appMetricsPath(app.name)),
      ranges: ranges(appMetricsPath(app.name), range.key), rangeLabel: range.label, empty: !s.length,
      graphs: [
        graph('requests', 'Requests', s, ['requests_per_second'], () => 'requests/s', answer),
        graph('latency', 'Response time', s, ['p50_ms', 'p95_ms', 'p99_ms'], (v) => v.name.replace('_ms', ''), answer),
        graph('errors', '5xx responses', s, ['error_rate_percent'], () => '5xx', answer),
        graph('memory', 'Memory per process', s, ['memory_bytes'], byType, answer),
        graph('cpu', 'CPU per process', s, ['cpu_percent'], byType, answer),
      ],
    });
  });

  router.get('/clusters/:cluster/metrics', async (ctx) => {
    const session = await requireSession(scalarium, ctx);
    if (!session) return;
    await authorizeCluster(scalarium, ctx, session.principal, 'read', ctx.params.cluster!);
    const cluster = await findCluster(scalarium.db, ctx.params.cluster!);
    if (!cluster) throw new ScalariumError('cluster_not_found', { cluster: ctx.params.cluster! });
    const range = rangeOf(ctx);
    const to = Date.now();
    const answer = await clusterMetrics(store, cluster.name, { from: to - range.ms, to });
    const s = answer.series;
    const byInstance = (v: SeriesView) => `${v.labels.instance} (${v.labels.role})`;
    const byRole = (v: SeriesView) => v.labels.role ?? '';
    render(scalarium, ctx, session, {
      title: `Cluster ${cluster.name} · metrics`, clusterName: cluster.name, ...clusterTabs(scalarium, session, cluster.name, clusterMetricsPath(cluster.name)),
      ranges: ranges(clusterMetricsPath(cluster.name), range.key), rangeLabel: range.label, empty: !s.length,
      graphs: [
        graph('load', 'Cluster load per role', s, ['role_load1'], byRole, answer),
        graph('load-instances', 'Load per instance', s, ['load1'], byInstance, answer),
        graph('cpu', 'CPU per instance', s, ['cpu_percent'], byInstance, answer),
        graph('memory', 'Memory per instance', s, ['memory_percent'], byInstance, answer),
        graph('disk', 'Disk per instance', s, ['disk_percent'], byInstance, answer),
      ],
    });
  });
}

function render(scalarium: Scalarium, ctx: Koa.Context, session: UiSession, data: { title: string; [key: string]: unknown }): void {
  view(scalarium, ctx, 'monitoring/metrics', data, session);
}
