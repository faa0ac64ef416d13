// The decisions, apart from any I/O: what count a policy wants given the metric, the current count
// and what it decided before. Two modes:
//   step (OpsWorks' load-based instances): the metric's average over `upForMs` above `above` adds
//     `step`; its average over `downForMs` below `below` takes `step` away; each direction waits
//     its cooldown after the last change;
//   target (Kubernetes' HPA): desired = ceil(current × metric / target), nothing within 10 % of the
//     target; a scale-down takes the highest recommendation of the last 5 minutes (stabilisation).
// Both stay within [floor, max], where the floor is the policy's min or a schedule's count if higher.
import { formatFigure, type MetricSpec } from './metrics.ts';

export const TOLERANCE = 0.1;
export const STABILISATION_MS = 5 * 60_000;

export interface StepPolicy {
  mode: 'step'; min: number; max: number; above?: number; below?: number;
  upForMs: number; downForMs: number; step: number; upCooldownMs: number; downCooldownMs: number;
}
/** `windowMs`: the metric is averaged over it (default 1 min). */
export interface TargetPolicy { mode: 'target'; min: number; max: number; target: number; windowMs: number; upCooldownMs: number; downCooldownMs: number }
export type Policy = StepPolicy | TargetPolicy;

export interface Readings {
  /** The metric over the scale-up window and over the scale-down window (null: nothing measured). */
  up: number | null;
  down: number | null;
}

export interface Memory {
  lastChangeAt?: number;
  /** Target mode: recommendations with their time (newest last). */
  recommendations?: Array<{ at: number; count: number }>;
}

export interface Decision { to: number; reason: string }

function minutes(ms: number): string {
  return ms >= 60_000 && ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 1000)} s`;
}

function clamp(count: number, floor: number, max: number): number {
  return Math.max(floor, Math.min(max, count));
}

/**
 * What the policy wants; `undefined` when it wants no change. `floor` ≥ policy.min (a schedule's count);
 * a current count outside [floor, max] is brought inside first, whatever the metric says.
 */
export function decide(policy: Policy, spec: MetricSpec, readings: Readings, current: number, floor: number, memory: Memory, now: number): Decision | undefined {
  if (current < floor) return { to: Math.min(floor, policy.max), reason: `below the floor of ${floor}` };
  if (current > policy.max) return { to: policy.max, reason: `above the maximum of ${policy.max}` };
  const sinceChange = memory.lastChangeAt === undefined ? Infinity : now - memory.lastChangeAt;
  if (policy.mode === 'step') {
    if (policy.above !== undefined && readings.up !== null && readings.up > policy.above && current < policy.max && sinceChange >= policy.upCooldownMs) {
      const to = clamp(current + policy.step, floor, policy.max);
      return { to, reason: `${spec.name} ${formatFigure(spec, readings.up)} > ${formatFigure(spec, policy.above)} for ${minutes(policy.upForMs)}` };
    }
    if (policy.below !== undefined && readings.down !== null && readings.down < policy.below && current > floor && sinceChange >= policy.downCooldownMs) {
      const to = clamp(current - policy.step, floor, policy.max);
      return { to, reason: `${spec.name} ${formatFigure(spec, readings.down)} < ${formatFigure(spec, policy.below)} for ${minutes(policy.downForMs)}` };
    }
    return undefined;
  }
  const metric = readings.up;
  if (metric === null || current === 0) return undefined;
  const ratio = metric / policy.target;
  const raw = Math.abs(ratio - 1) <= TOLERANCE ? current : Math.ceil(current * ratio);
  const recommendation = clamp(raw, floor, policy.max);
  const recent = [...(memory.recommendations ?? []).filter((r) => now - r.at <= STABILISATION_MS), { at: now, count: recommendation }];
  memory.recommendations = recent;
  const why = `${spec.name} ${formatFigure(spec, metric)} against a target of ${formatFigure(spec, policy.target)}`;
  if (recommendation > current && sinceChange >= policy.upCooldownMs) return { to: recommendation, reason: `${why}: ceil(${current} × ${Math.round(ratio * 100) / 100}) = ${raw}` };
  // Down only as far as the highest recommendation of the stabilisation window allows.
  const stable = Math.max(...recent.map((r) => r.count));
  if (stable < current && sinceChange >= policy.downCooldownMs) {
    return { to: stable, reason: `${why}: the highest recommendation of the last ${minutes(STABILISATION_MS)} is ${stable}` };
  }
  return undefined;
}
