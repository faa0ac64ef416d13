// Every metric the monitoring plugin keeps: its name, kind, unit, what it is about and how a graph
// or an alert reads it. Names follow Prometheus' conventions (snake case, unit suffix).
export type MetricScope = 'app' | 'process' | 'instance';
export type MetricUnit = 'count' | 'per_second' | 'ms' | 'percent' | 'bytes' | 'load';

export interface StoredMetric {
  name: string;
  kind: 'counter' | 'gauge' | 'histogram';
  scope: MetricScope;
  unit: MetricUnit;
  help: string;
}

/** What the store holds (labels: app metrics {app, status?}; process {app, type}; instance {cluster, role, instance}). */
export const STORED: readonly StoredMetric[] = [
  { name: 'requests', kind: 'counter', scope: 'app', unit: 'per_second', help: 'requests through the router' },
  { name: 'responses', kind: 'counter', scope: 'app', unit: 'per_second', help: 'responses by status class (label status: 1xx…5xx)' },
  { name: 'response_bytes', kind: 'counter', scope: 'app', unit: 'per_second', help: 'bytes sent to clients' },
  { name: 'response_ms', kind: 'histogram', scope: 'app', unit: 'ms', help: 'time to the end of the response' },
  { name: 'process_cpu_percent', kind: 'gauge', scope: 'process', unit: 'percent', help: 'CPU of one process, % of one core' },
  { name: 'process_memory_bytes', kind: 'gauge', scope: 'process', unit: 'bytes', help: 'resident memory of one process (its whole process group)' },
  { name: 'instance_load1', kind: 'gauge', scope: 'instance', unit: 'load', help: 'load average over one minute' },
  { name: 'instance_cpu_percent', kind: 'gauge', scope: 'instance', unit: 'percent', help: 'CPU of all cores' },
  { name: 'instance_memory_percent', kind: 'gauge', scope: 'instance', unit: 'percent', help: 'memory in use (not page cache)' },
  { name: 'instance_memory_bytes', kind: 'gauge', scope: 'instance', unit: 'bytes', help: 'memory in use (not page cache)' },
  { name: 'instance_disk_percent', kind: 'gauge', scope: 'instance', unit: 'percent', help: 'disk in use where the apps live' },
];

export const storedMetric = (name: string): StoredMetric | undefined => STORED.find((m) => m.name === name);
