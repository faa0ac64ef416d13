// GET /api/apps/:app/metrics and GET /api/clusters/:cluster/metrics?since=7d: what the CLI's
// `metrics` prints and the Metrics tabs draw. An app's viewers may read its metrics; a cluster's
// viewers its instances'.
import type Router from '@koa/router';
import { appResource, clusterResource, declare, requireApp, ScalariumError, findCluster, type Scalarium } from '../../server/plugin-api.ts';
import { parseSince } from './range.ts';
import type { MetricStore } from './store/metric-store.ts';
import { appMetrics, clusterMetrics } from './views.ts';

export function metricsRoutes(scalarium: Scalarium, router: Router, store: MetricStore): void {
  declare(scalarium, router, {
    method: 'get', path: '/api/apps/:app/metrics', action: 'read', resource: appResource,
    async handler(ctx) {
      const app = await requireApp(scalarium, ctx.params.app!);
      const to = Date.now();
      ctx.body = await appMetrics(store, app.name, { from: to - parseSince(ctx.query.since), to });
    },
  });
  declare(scalarium, router, {
    method: 'get', path: '/api/clusters/:cluster/metrics', action: 'read', resource: clusterResource,
    async handler(ctx) {
      const cluster = await findCluster(scalarium.db, ctx.params.cluster!);
      if (!cluster) throw new ScalariumError('cluster_not_found', { cluster: ctx.params.cluster! });
      const to = Date.now();
      ctx.body = await clusterMetrics(store, cluster.name, { from: to - parseSince(ctx.query.since), to });
    },
  });
}
