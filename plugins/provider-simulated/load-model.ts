// The usage a simulated instance reports: figures around the cluster's configured load, each
// instance a little off the mean (its own seeded offset) and each sample a little off that, so graphs
// and alerts have something that looks like a fleet. Nothing is measured.
import type { InstanceUsage, ProcessUsage } from '../../server/plugin-api.ts';
import type { LoadProfile } from './fleet-messages.ts';
import { seededUnit } from './seeded.ts';

const CPUS = 2;
const MEMORY_TOTAL = 4 * 2 ** 30;
const DISK_TOTAL = 40 * 2 ** 30;
const PROCESS_RSS = 120 * 2 ** 20;

const clamp = (value: number, max: number) => Math.min(max, Math.max(0, value));
/** A figure in [-1, 1) from the seed and a key. */
const spread = (seed: number, key: string) => seededUnit(seed, key) * 2 - 1;

export function instanceUsage(load: LoadProfile, id: string, sample: number): InstanceUsage {
  const cpuPercent = clamp(load.cpuPercent + (spread(load.seed, `cpu:${id}`) + spread(load.seed, `cpu:${id}:${sample}`)) * load.cpuJitter / 2, 100);
  const memoryPercent = clamp(load.memoryPercent + spread(load.seed, `mem:${id}:${sample}`) * 2, 100);
  return {
    load1: Math.round(cpuPercent * CPUS) / 100,
    cpus: CPUS,
    cpuPercent: Math.round(cpuPercent * 10) / 10,
    memoryUsedBytes: Math.round(MEMORY_TOTAL * memoryPercent / 100),
    memoryTotalBytes: MEMORY_TOTAL,
    diskUsedBytes: DISK_TOTAL / 4,
    diskTotalBytes: DISK_TOTAL,
  };
}

/** The instance's CPU shared out between its processes, each with the same resident memory. */
export function processUsage(instance: InstanceUsage, processes: Array<{ id: string; app: string; type: string }>): ProcessUsage[] {
  const share = processes.length ? (instance.cpuPercent * instance.cpus) / processes.length : 0;
  return processes.map((p) => ({ id: p.id, app: p.app, type: p.type, cpuPercent: Math.round(share * 10) / 10, rssBytes: PROCESS_RSS }));
}
