// The server's own metrics: HTTP requests by route, pushes, builds and releases, deploys and how
// long they took, connected agents and routers, the database's size, and Node's process metrics.
import client from 'prom-client';
import type { Scalarium } from '../../server/plugin-api.ts';
import { buildCounts, databaseBytes, deploymentStartedAt } from './store.ts';

const NAME = 'prometheus';

export function serverMetrics(scalarium: Scalarium, registry: client.Registry): void {
  client.collectDefaultMetrics({ register: registry, prefix: 'scalarium_server_' });

  const http = new client.Counter({
    name: 'scalarium_http_requests_total', help: 'HTTP requests answered by the server, by route pattern, method and status class',
    labelNames: ['route', 'method', 'status'], registers: [registry],
  });
  const httpTime = new client.Histogram({
    name: 'scalarium_http_request_duration_seconds', help: 'time to the response headers, by route pattern',
    labelNames: ['route', 'method'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry],
  });
  scalarium.hooks.httpRequest.tap(NAME, ({ method, route, status, ms }) => {
    http.inc({ route, method, status: `${Math.floor(status / 100)}xx` });
    httpTime.observe({ route, method }, ms / 1000);
  });

  const pushes = new client.Counter({ name: 'scalarium_git_pushes_total', help: 'git pushes, by outcome', labelNames: ['outcome'], registers: [registry] });
  scalarium.hooks.audit.tap(NAME, (event) => {
    if (event.action === 'git.push') pushes.inc({ outcome: event.outcome });
  });

  // Read from the builds table at each scrape: no hook of the build path needs a tap for it.
  new client.Gauge({
    name: 'scalarium_builds', help: 'builds the server keeps, by status (running, succeeded, failed)', labelNames: ['status'], registers: [registry],
    async collect() {
      this.reset();
      for (const { status, n } of await buildCounts(scalarium.db).catch(() => [])) this.set({ status }, n);
    },
  });
  const releases = new client.Counter({ name: 'scalarium_releases_total', help: 'builds that became a release (the release hook ran)', registers: [registry] });
  scalarium.hooks.release.tapPromise({ name: NAME, stage: 1000 }, async (spec) => {
    releases.inc();
    return spec;
  });

  const deploys = new client.Histogram({
    name: 'scalarium_deploy_duration_seconds', help: 'deployments from start to live (or failed), by outcome',
    labelNames: ['outcome'], buckets: [1, 2, 5, 10, 20, 30, 60, 120, 300, 600], registers: [registry],
  });
  const finished = (outcome: 'live' | 'failed') => async ({ deploymentId }: { deploymentId: number }) => {
    const at = await deploymentStartedAt(scalarium.db, deploymentId).catch(() => undefined);
    if (at) deploys.observe({ outcome }, Math.max(0, Date.now() - Date.parse(at)) / 1000);
  };
  scalarium.hooks.deployed.tapPromise(NAME, finished('live'));
  scalarium.hooks.deployFailed.tapPromise(NAME, finished('failed'));

  new client.Gauge({
    name: 'scalarium_connected_instances', help: 'agents and routers connected to this server', labelNames: ['kind'], registers: [registry],
    collect() {
      this.set({ kind: 'agent' }, scalarium.hub.connectedPeers('agent').length);
      this.set({ kind: 'router' }, scalarium.hub.connectedPeers('router').length);
    },
  });
  new client.Gauge({
    name: 'scalarium_database_bytes', help: 'size of the control plane\'s database', registers: [registry],
    async collect() {
      const bytes = await databaseBytes(scalarium.db).catch(() => undefined);
      if (bytes !== undefined) this.set(bytes);
    },
  });
}
