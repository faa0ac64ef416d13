// Metrics from instances reach the metrics hook checked: numbers are finite and bounded, and an
// instance speaks only of its own — an agent of the processes the database places on it (named
// as the database names them), a router of the apps of its own cluster. A token of one instance
// must not let its holder write another app's graphs or bills.
import { appNamesOfCluster, appOfHost } from './router-hosts.ts';
import type { Scalarium } from '../core/scalarium.ts';
import type { MetricsReport } from '../core/types.ts';
import { listApps } from '../db/apps.ts';
import { findClusterById, findInstance } from '../db/instances.ts';
import { listProcesses } from '../db/processes.ts';
import type { Peer } from './hub.ts';
import type { InstanceUsage, MetricsMessage, ProcessUsage, RouteUsage } from './protocol.ts';
import { LATENCY_BUCKETS_MS } from '../router/latency-buckets.ts';

const MAX_PROCESSES = 1000;
const MAX_ROUTES = 5000;

export function relayMetrics(scalarium: Scalarium): void {
  scalarium.hub.on('metrics', (peer, message) => {
    void toReport(scalarium, peer, message).then((report) => {
      if (report) scalarium.hooks.metrics.call(report);
    }).catch((error: Error) => scalarium.say(`metrics of ${peer.instanceId}: ${error.message}`));
  });
}

export async function toReport(scalarium: Scalarium, peer: Peer, message: MetricsMessage): Promise<MetricsReport | undefined> {
  const at = Date.parse(String(message.at));
  // An instance's clock may be off: its own time is kept only when it is near ours.
  const now = Date.now();
  const when = Number.isFinite(at) && Math.abs(at - now) < 5 * 60_000 ? at : now;
  const intervalMs = count(message.intervalMs, 3_600_000) || scalarium.hub.metricsIntervalMs;
  const instance = await findInstance(scalarium.db, peer.instanceId);
  const cluster = instance && (await findClusterById(scalarium.db, instance.clusterId));
  if (!instance || !cluster) return undefined;
  const report: MetricsReport = { instance, cluster, at: when, intervalMs, processes: [], routes: [] };
  report.usage = instanceUsage(message.instance);
  if (peer.kind === 'agent') {
    report.processes = await ownProcesses(scalarium, peer.instanceId, message.processes);
  } else {
    report.routes = await ownRoutes(scalarium, cluster.id, message.routes);
  }
  return report;
}

async function ownProcesses(scalarium: Scalarium, instanceId: string, reported: unknown): Promise<ProcessUsage[]> {
  if (!Array.isArray(reported) || !reported.length) return [];
  const known = new Map((await listProcesses(scalarium.db, { instanceId })).map((p) => [p.id, p]));
  const appNames = new Map((await listApps(scalarium.db)).map((a) => [a.id, a.name]));
  const out: ProcessUsage[] = [];
  for (const r of reported.slice(0, MAX_PROCESSES) as Array<Partial<ProcessUsage>>) {
    const row = typeof r?.id === 'string' ? known.get(r.id) : undefined;
    const app = row && appNames.get(row.appId);
    if (!row || !app) continue;
    const cpu = r.cpuPercent === undefined ? undefined : count(r.cpuPercent, 100_000);
    out.push({ id: row.id, app, type: row.type, ...(cpu !== undefined ? { cpuPercent: cpu } : {}), rssBytes: count(r.rssBytes, 2 ** 50) });
  }
  return out;
}

async function ownRoutes(scalarium: Scalarium, clusterId: number, reported: unknown): Promise<Array<{ app: string; usage: RouteUsage }>> {
  if (!reported || typeof reported !== 'object') return [];
  const apps = await appNamesOfCluster(scalarium.db, clusterId);
  const out: Array<{ app: string; usage: RouteUsage }> = [];
  for (const [host, value] of Object.entries(reported as Record<string, unknown>).slice(0, MAX_ROUTES)) {
    const app = appOfHost(host, scalarium.config.domain, apps);
    const usage = app ? routeUsage(value) : undefined;
    if (app && usage) out.push({ app, usage });
  }
  return out;
}

function routeUsage(value: unknown): RouteUsage | undefined {
  const v = (value ?? {}) as Partial<RouteUsage>;
  const statuses = Array.isArray(v.statuses) ? v.statuses : [];
  const counts: Record<number, number> = {};
  for (const [index, n] of Object.entries(v.latency?.counts ?? {})) {
    const i = Number(index);
    if (Number.isInteger(i) && i >= 0 && i < LATENCY_BUCKETS_MS.length && count(n, 1e12) > 0) counts[i] = Math.floor(count(n, 1e12));
  }
  const requests = Math.floor(count(v.requests, 1e12));
  if (!requests) return undefined;
  return {
    requests,
    statuses: [0, 1, 2, 3, 4].map((i) => Math.floor(count(statuses[i], 1e12))) as RouteUsage['statuses'],
    bytes: count(v.bytes, 1e15),
    latency: { counts, sumMs: count(v.latency?.sumMs, 1e15) },
  };
}

function instanceUsage(value: unknown): InstanceUsage | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const v = value as Partial<InstanceUsage>;
  const diskTotal = count(v.diskTotalBytes, 2 ** 60);
  return {
    load1: count(v.load1, 1e6),
    cpus: Math.floor(count(v.cpus, 65_536)),
    cpuPercent: count(v.cpuPercent, 100),
    memoryUsedBytes: count(v.memoryUsedBytes, 2 ** 60),
    memoryTotalBytes: count(v.memoryTotalBytes, 2 ** 60),
    ...(diskTotal ? { diskUsedBytes: Math.min(count(v.diskUsedBytes, 2 ** 60), diskTotal), diskTotalBytes: diskTotal } : {}),
  };
}

/** A finite number in [0, max]; anything else is 0. */
function count(value: unknown, max: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.min(value, max) : 0;
}
