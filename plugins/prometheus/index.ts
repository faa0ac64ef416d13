// GET /metrics in Prometheus' text format: the server's own metrics (HTTP requests by route,
// pushes, builds, deploy durations, connected instances, database size, Node's process metrics)
// and what instances report (per app requests, statuses, response times; per process type CPU and
// memory; per instance load, CPU, memory, disk). Through prom-client, with a registry of its own.
// Not public: an admin's token or the operator's scrape token (SCALARIUM_METRICS_TOKEN).
import client from 'prom-client';
import type { Plugin } from '../../server/plugin-api.ts';
import { fleetMetrics } from './fleet-metrics.ts';
import { mayScrape, scrapeToken } from './scrape-auth.ts';
import { serverMetrics } from './server-metrics.ts';

const NAME = 'prometheus';

export const prometheusPlugin: Plugin = {
  name: NAME,
  apply(scalarium) {
    const configured = scrapeToken();
    const registry = new client.Registry();
    serverMetrics(scalarium, registry);
    fleetMetrics(scalarium, registry);
    scalarium.hooks.pages.tap(NAME, (router) => {
      router.get('/metrics', async (ctx) => {
        const verdict = await mayScrape(scalarium, ctx, configured);
        ctx.set('Cache-Control', 'no-store');
        if (verdict !== 'ok') {
          ctx.status = verdict;
          if (verdict === 401) ctx.set('WWW-Authenticate', 'Bearer realm="Scalarium metrics"');
          ctx.type = 'text/plain; charset=utf-8';
          ctx.body = verdict === 401
            ? 'Authentication required: send "Authorization: Bearer <token>" with the scrape token (SCALARIUM_METRICS_TOKEN) or an admin\'s API token.\n'
            : 'Only an admin\'s full token or the scrape token may read /metrics: it shows every app and instance of this server.\n';
          return;
        }
        ctx.type = registry.contentType;
        ctx.body = await registry.metrics();
      });
    });
  },
};

export default prometheusPlugin;
