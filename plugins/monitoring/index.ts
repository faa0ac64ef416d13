// Monitoring: what instances and routers measure every interval (the metrics hook) kept as time
// series with roll-ups (10 s for a day, 1 min for 8 days, 1 h for 400 days), read by
// GET /api/apps/:app/metrics and /api/clusters/:cluster/metrics, `scalarium metrics`, and the
// Metrics tabs of apps and clusters (graphs drawn on the server).
import { fileURLToPath } from 'node:url';
import type { Plugin } from '../../server/plugin-api.ts';
import { MONITORING_MIGRATIONS } from './migrations/index.ts';
import { MetricStore } from './store/metric-store.ts';
import { MetricRecorder } from './recorder.ts';
import { samplesOf } from './samples.ts';
import { answer, catalogue } from './answers.ts';
import { metricsRoutes } from './routes.ts';
import { appMetricsPath, clusterMetricsPath, metricsPages } from './page.ts';

const NAME = 'monitoring';
/** Old points go in the background: often enough that a day's growth never piles up. */
const PRUNE_EVERY_MS = 10 * 60_000;

/** SCALARIUM_METRICS_MAX_ROWS: a bound on the stored points (the oldest 10 s points go first). */
function maxRows(value = process.env.SCALARIUM_METRICS_MAX_ROWS): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 10_000) throw new Error(`SCALARIUM_METRICS_MAX_ROWS must be a whole number of at least 10000, got "${value}"`);
  return n;
}

export const monitoringPlugin: Plugin = {
  name: NAME,
  migrations: MONITORING_MIGRATIONS,
  apply(scalarium) {
    const store = new MetricStore(scalarium.db, { maxRows: maxRows() });
    const recorder = new MetricRecorder(store, (error) => scalarium.say(`monitoring: could not store metrics: ${error.message}`));
    scalarium.hooks.metrics.tap(NAME, (report) => recorder.add(samplesOf(report), report.at));
    // Metrics are by name: a new app or cluster of a destroyed one's name must not show its figures.
    scalarium.hooks.destroyed.tapPromise(NAME, async (gone) => {
      await recorder.flush();
      await store.forget({ [gone.kind]: gone.name });
    });
    const pruning = setInterval(() => {
      store.prune().catch((error: Error) => scalarium.say(`monitoring: pruning failed: ${error.message}`));
    }, PRUNE_EVERY_MS).unref();
    scalarium.onClose(async () => {
      clearInterval(pruning);
      await recorder.flush();
    });

    scalarium.hooks.metricCatalogue.tap(NAME, (known) => [...known, ...catalogue()]);
    scalarium.hooks.metricValue.tapPromise(NAME, async (q) => {
      await recorder.flush(); // what arrived a moment ago counts
      return answer(store, q);
    });
    scalarium.hooks.routes.tap(NAME, (router) => metricsRoutes(scalarium, router, store));
    scalarium.templates.add(NAME, fileURLToPath(new URL('./templates/', import.meta.url)));
    scalarium.hooks.pages.tap(NAME, (router) => metricsPages(scalarium, router, store));
    scalarium.hooks.appNav.tap(NAME, (items, { app }) => [...items, { href: appMetricsPath(app), label: 'Metrics' }]);
    scalarium.hooks.clusterNav.tap(NAME, (items, { cluster }) => [...items, { href: clusterMetricsPath(cluster), label: 'Metrics' }]);
  },
};

export default monitoringPlugin;
