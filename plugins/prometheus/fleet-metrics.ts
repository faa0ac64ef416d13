// What instances report every interval (the metrics hook), as Prometheus series: per app the
// router's requests, responses by status class, bytes and a response-time histogram (counters since
// this server started); per process type its CPU and memory and per instance its load, CPU, memory
// and disk (gauges of the last report). Series of instances that went away and of destroyed apps
// are removed, so a scrape lists only what exists.
import client from 'prom-client';
import type { MetricsReport, Scalarium } from '../../server/plugin-api.ts';
import { BucketHistogram } from './bucket-histogram.ts';

const NAME = 'prometheus';
const STATUS = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;
/** Prometheus' usual buckets, in seconds. */
const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export function fleetMetrics(scalarium: Scalarium, registry: client.Registry): void {
  const r = [registry];
  const requests = new client.Counter({ name: 'scalarium_app_requests_total', help: 'requests through the routers', labelNames: ['app'], registers: r });
  const responses = new client.Counter({ name: 'scalarium_app_responses_total', help: 'responses by status class', labelNames: ['app', 'status'], registers: r });
  const bytes = new client.Counter({ name: 'scalarium_app_response_bytes_total', help: 'bytes sent to clients, headers included', labelNames: ['app'], registers: r });
  const latency = new BucketHistogram(
    'scalarium_app_response_duration_seconds',
    'time to the end of the response; the routers\' buckets are 10 % wide, so a le bound is exact to within 10 %',
    'app', SECONDS,
  );
  // prom-client formats any object with its metrics' get(): ours adds bucket counts, not single values.
  registry.registerMetric(latency as unknown as client.Metric);
  const processCpu = new client.Gauge({ name: 'scalarium_process_cpu_percent', help: 'CPU of an app\'s processes of one type on one instance, % of one core, average per process', labelNames: ['app', 'type', 'instance'], registers: r });
  const processMemory = new client.Gauge({ name: 'scalarium_process_resident_memory_bytes', help: 'resident memory of an app\'s processes of one type on one instance, average per process', labelNames: ['app', 'type', 'instance'], registers: r });
  const load = new client.Gauge({ name: 'scalarium_instance_load1', help: 'load average over one minute', labelNames: ['cluster', 'role', 'instance'], registers: r });
  const cpu = new client.Gauge({ name: 'scalarium_instance_cpu_percent', help: 'CPU of all cores together', labelNames: ['cluster', 'role', 'instance'], registers: r });
  const memory = new client.Gauge({ name: 'scalarium_instance_memory_used_bytes', help: 'memory in use (not page cache)', labelNames: ['cluster', 'role', 'instance'], registers: r });
  const memoryTotal = new client.Gauge({ name: 'scalarium_instance_memory_total_bytes', help: 'memory of the instance', labelNames: ['cluster', 'role', 'instance'], registers: r });
  const disk = new client.Gauge({ name: 'scalarium_instance_disk_used_bytes', help: 'disk in use where the apps live', labelNames: ['cluster', 'role', 'instance'], registers: r });
  const diskTotal = new client.Gauge({ name: 'scalarium_instance_disk_total_bytes', help: 'size of the disk where the apps live', labelNames: ['cluster', 'role', 'instance'], registers: r });
  const instanceGauges = [load, cpu, memory, memoryTotal, disk, diskTotal];
  /** instance id → its labels, and the app process types it last reported */
  const seen = new Map<string, { labels: { cluster: string; role: string; instance: string }; types: Set<string> }>();

  scalarium.hooks.metrics.tap(NAME, (report: MetricsReport) => {
    for (const { app, usage } of report.routes) {
      requests.inc({ app }, usage.requests);
      usage.statuses.forEach((n, i) => n && responses.inc({ app, status: STATUS[i]! }, n));
      bytes.inc({ app }, usage.bytes);
      latency.add(app, usage.latency.counts, usage.latency.sumMs);
    }
    const labels = { cluster: report.cluster.name, role: report.instance.role, instance: report.instance.id };
    const entry = seen.get(report.instance.id) ?? { labels, types: new Set<string>() };
    seen.set(report.instance.id, entry);
    // Per type on this instance (process ids change with every deploy): the average of its processes.
    const byType = new Map<string, { app: string; type: string; cpu: number[]; rss: number[] }>();
    for (const p of report.processes) {
      const key = `${p.app}\u0000${p.type}`;
      const t = byType.get(key) ?? { app: p.app, type: p.type, cpu: [], rss: [] };
      byType.set(key, t);
      if (p.cpuPercent !== undefined) t.cpu.push(p.cpuPercent);
      t.rss.push(p.rssBytes);
    }
    const average = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    for (const key of entry.types) {
      if (byType.has(key)) continue; // scaled away or moved: its gauges go
      const [app, type] = key.split('\u0000') as [string, string];
      processCpu.remove({ app, type, instance: labels.instance });
      processMemory.remove({ app, type, instance: labels.instance });
    }
    entry.types = new Set(byType.keys());
    for (const t of byType.values()) {
      if (t.cpu.length) processCpu.set({ app: t.app, type: t.type, instance: labels.instance }, average(t.cpu));
      processMemory.set({ app: t.app, type: t.type, instance: labels.instance }, average(t.rss));
    }
    const u = report.usage;
    if (u) {
      load.set(labels, u.load1);
      cpu.set(labels, u.cpuPercent);
      memory.set(labels, u.memoryUsedBytes);
      memoryTotal.set(labels, u.memoryTotalBytes);
      if (u.diskUsedBytes !== undefined) disk.set(labels, u.diskUsedBytes);
      if (u.diskTotalBytes !== undefined) diskTotal.set(labels, u.diskTotalBytes);
    }
  });

  scalarium.hooks.instanceDisconnected.tapPromise(NAME, async ({ instance }) => {
    const entry = seen.get(instance.id);
    if (!entry) return;
    seen.delete(instance.id);
    for (const gauge of instanceGauges) gauge.remove(entry.labels);
    for (const key of entry.types) {
      const [app, type] = key.split('\u0000') as [string, string];
      processCpu.remove({ app, type, instance: instance.id });
      processMemory.remove({ app, type, instance: instance.id });
    }
  });
  scalarium.hooks.destroyed.tapPromise(NAME, async ({ kind, name }) => {
    if (kind === 'app') {
      for (const metric of [requests, bytes]) metric.remove({ app: name });
      latency.remove(name);
      for (const status of STATUS) responses.remove({ app: name, status });
    }
    for (const [id, entry] of seen) {
      for (const key of [...entry.types]) {
        const [app, type] = key.split('\u0000') as [string, string];
        if (kind === 'app' && app === name) {
          processCpu.remove({ app, type, instance: id });
          processMemory.remove({ app, type, instance: id });
          entry.types.delete(key);
        }
      }
      if (kind === 'cluster' && entry.labels.cluster === name) {
        for (const gauge of instanceGauges) gauge.remove(entry.labels);
        seen.delete(id);
      }
    }
  });
}
