// What a simulated cluster's settings say about its instances: how long they take to boot, how many
// fail to, and the load they report. Read from the cluster's settings (flat keys beside core's own),
// checked when the cluster is created.
import type { ClusterSettings } from '../../server/plugin-api.ts';

export interface Simulation {
  /** How long an instance "boots" before its agent connects. */
  bootMs: number;
  /** The share of boots that fail (0 to 1), decided per instance from `seed`. */
  failureRate: number;
  /** Makes the failures and the load figures the same on every run. */
  seed: number;
  /** CPU each instance reports, % of all its cores, and how far samples stray from it (±). */
  cpuPercent: number;
  cpuJitter: number;
  /** Memory each instance reports in use, % of its total. */
  memoryPercent: number;
}

export const DEFAULTS: Simulation = { bootMs: 0, failureRate: 0, seed: 1, cpuPercent: 20, cpuJitter: 5, memoryPercent: 40 };

/** Each setting: its bounds and what to say when it is out of them. */
const LIMITS: Record<keyof Simulation, { min: number; max: number; whole: boolean; says: string }> = {
  bootMs: { min: 0, max: 600_000, whole: true, says: 'bootMs must be whole milliseconds from 0 to 600000' },
  failureRate: { min: 0, max: 1, whole: false, says: 'failureRate must be a number from 0 to 1 (the share of boots that fail)' },
  seed: { min: 0, max: 2 ** 32 - 1, whole: true, says: 'seed must be a whole number from 0 to 4294967295' },
  cpuPercent: { min: 0, max: 100, whole: false, says: 'cpuPercent must be a number from 0 to 100' },
  cpuJitter: { min: 0, max: 100, whole: false, says: 'cpuJitter must be a number from 0 to 100' },
  memoryPercent: { min: 0, max: 100, whole: false, says: 'memoryPercent must be a number from 0 to 100' },
};

type WithSimulation = ClusterSettings & Partial<Record<keyof Simulation, unknown>>;

/** Why these settings cannot make a simulated cluster, or nothing when they can. */
export function checkSimulation(settings: ClusterSettings): string | undefined {
  const given = settings as WithSimulation;
  for (const [key, limit] of Object.entries(LIMITS) as Array<[keyof Simulation, (typeof LIMITS)[keyof Simulation]]>) {
    const value = given[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < limit.min || value > limit.max || (limit.whole && !Number.isInteger(value))) {
      return `${limit.says}, got ${JSON.stringify(value)?.slice(0, 40)}`;
    }
  }
  return undefined;
}

/** The cluster's simulation: its own settings where they are good, the defaults elsewhere. */
export function simulationOf(settings: ClusterSettings): Simulation {
  const given = settings as WithSimulation;
  const out = { ...DEFAULTS };
  for (const key of Object.keys(DEFAULTS) as Array<keyof Simulation>) {
    const value = given[key];
    if (typeof value === 'number' && checkSimulation({ [key]: value } as ClusterSettings) === undefined) out[key] = value;
  }
  return out;
}
