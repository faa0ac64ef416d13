// A metrics report (server/agent/metrics-relay.ts checked it) as samples for the store: a router's
// traffic per app, an agent's processes per app and process type, and its instance.
import type { MetricsReport } from '../../server/plugin-api.ts';
import type { Sample } from './store/types.ts';

const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

export function samplesOf(report: MetricsReport): Sample[] {
  const samples: Sample[] = [];
  for (const { app, usage } of report.routes) {
    samples.push({ metric: 'requests', labels: { app }, kind: 'counter', value: usage.requests });
    usage.statuses.forEach((n, i) => {
      if (n) samples.push({ metric: 'responses', labels: { app, status: STATUS_CLASSES[i]! }, kind: 'counter', value: n });
    });
    samples.push({ metric: 'response_bytes', labels: { app }, kind: 'counter', value: usage.bytes });
    samples.push({ metric: 'response_ms', labels: { app }, kind: 'histogram', histogram: { counts: usage.latency.counts, sum: usage.latency.sumMs, count: usage.requests } });
  }
  // Process ids change with every deploy: series are per app and process type (an average of its processes).
  for (const p of report.processes) {
    const labels = { app: p.app, type: p.type };
    if (p.cpuPercent !== undefined) samples.push({ metric: 'process_cpu_percent', labels, kind: 'gauge', value: p.cpuPercent });
    samples.push({ metric: 'process_memory_bytes', labels, kind: 'gauge', value: p.rssBytes });
  }
  const u = report.usage;
  if (u) {
    const labels = { cluster: report.cluster.name, role: report.instance.role, instance: report.instance.id };
    samples.push({ metric: 'instance_load1', labels, kind: 'gauge', value: u.load1 });
    samples.push({ metric: 'instance_cpu_percent', labels, kind: 'gauge', value: u.cpuPercent });
    samples.push({ metric: 'instance_memory_bytes', labels, kind: 'gauge', value: u.memoryUsedBytes });
    if (u.memoryTotalBytes) samples.push({ metric: 'instance_memory_percent', labels, kind: 'gauge', value: (100 * u.memoryUsedBytes) / u.memoryTotalBytes });
    if (u.diskTotalBytes) samples.push({ metric: 'instance_disk_percent', labels, kind: 'gauge', value: (100 * (u.diskUsedBytes ?? 0)) / u.diskTotalBytes });
  }
  return samples;
}
