// What a policy can scale on, per kind of target: a role's instances on their CPU, memory or load;
// a process type on its processes' CPU, the requests per process, or the p95 response time. Each is
// one of the monitoring plugin's figures (metricValue hook), averaged over the policy's window.
export type TargetKind = 'role' | 'formation';

export interface MetricSpec {
  /** The name people use: --cpu-above 70, {"metric": "cpu"}. */
  name: string;
  /** The metricValue figure. */
  figure: string;
  unit: '%' | 'ms' | 'req/s' | '';
  /** Where thresholds must lie, and what to say when they do not. */
  max?: number;
  says: string;
  /** Requests are a total for the app: divided by the processes to be per process. */
  perProcess?: boolean;
}

export const METRICS: Record<TargetKind, readonly MetricSpec[]> = {
  role: [
    { name: 'cpu', figure: 'instance_cpu_percent', unit: '%', max: 100, says: 'CPU of all cores, averaged over the role\'s instances (0-100 %)' },
    { name: 'memory', figure: 'instance_memory_percent', unit: '%', max: 100, says: 'memory in use, averaged over the role\'s instances (0-100 %)' },
    { name: 'load', figure: 'load1', unit: '', says: 'load average over one minute, averaged over the role\'s instances' },
  ],
  formation: [
    { name: 'cpu', figure: 'cpu_percent', unit: '%', max: 100, says: 'CPU per process of the type, % of one core (0-100)' },
    { name: 'requests', figure: 'requests_per_second', unit: 'req/s', perProcess: true, says: 'requests per second through the router, per process (web only)' },
    { name: 'p95', figure: 'p95_ms', unit: 'ms', says: '95th percentile response time through the router, ms (web only)' },
  ],
};

export function metricOf(kind: TargetKind, name: string): MetricSpec | undefined {
  return METRICS[kind].find((m) => m.name === name);
}

/** 84.3 → "84 %", 312 → "312 ms". */
export function formatFigure(spec: Pick<MetricSpec, 'unit'>, value: number): string {
  const rounded = Math.abs(value) >= 10 ? Math.round(value) : Math.round(value * 10) / 10;
  return spec.unit ? `${rounded} ${spec.unit}` : String(rounded);
}
