// From a checked body to a policy for its target: the metric must be one the target can scale on,
// thresholds within the metric's range and in order, min ≤ max. Defaults follow OpsWorks: 5 min
// windows, 5 min cooldowns, one at a time.
import type { z } from 'zod';
import { ScalariumError } from '../../server/plugin-api.ts';
import type { policyBody } from './bodies.ts';
import type { Policy } from './decide.ts';
import { METRICS, metricOf, type MetricSpec } from './metrics.ts';
import type { Target } from './target.ts';

export const DEFAULT_WINDOW_MS = 5 * 60_000;
export const DEFAULT_COOLDOWN_MS = 5 * 60_000;
export const DEFAULT_TARGET_WINDOW_MS = 60_000;

export type StoredPolicy = Policy & { metric: string; dryRun: boolean };

function refuse(reason: string): never {
  throw new ScalariumError('invalid_body', { reason });
}

export function policyFromBody(target: Target, body: z.output<typeof policyBody>): StoredPolicy {
  const kind = target.kind;
  const spec: MetricSpec | undefined = metricOf(kind, body.metric);
  if (!spec) refuse(`metric ${JSON.stringify(body.metric.slice(0, 20))} is not one a ${kind === 'role' ? 'role' : 'process type'} scales on: ${METRICS[kind].map((m) => m.name).join(', ')}`);
  if (kind === 'formation' && spec.perProcess !== undefined && target.type !== 'web') refuse(`${spec.name} is measured at the router: only a web process type scales on it`);
  if (kind === 'formation' && spec.name === 'p95' && target.type !== 'web') refuse('p95 is measured at the router: only a web process type scales on it');
  if (body.min > body.max) refuse(`min (${body.min}) must not be above max (${body.max})`);
  if (body.max < 1) refuse('max must be at least 1');
  for (const [name, value] of [['above', body.above], ['below', body.below], ['target', body.target]] as const) {
    if (value !== undefined && spec.max !== undefined && value > spec.max) refuse(`${name} must be from 0 to ${spec.max} for ${spec.name} (${spec.says})`);
  }
  const common = {
    metric: spec.name, min: body.min, max: body.max, dryRun: body.dryRun ?? false,
    upCooldownMs: body.cooldown ?? DEFAULT_COOLDOWN_MS, downCooldownMs: body.downCooldown ?? body.cooldown ?? DEFAULT_COOLDOWN_MS,
  };
  if (body.target !== undefined) {
    if (body.above !== undefined || body.below !== undefined) refuse('give a target (target tracking) or above/below thresholds (step scaling), not both');
    if (body.target <= 0) refuse('target must be above 0');
    return { ...common, mode: 'target', target: body.target, windowMs: body.for ?? DEFAULT_TARGET_WINDOW_MS };
  }
  if (body.above === undefined && body.below === undefined) refuse(`give above and/or below (step scaling) or a target (target tracking) for ${spec.name}`);
  if (body.above !== undefined && body.below !== undefined && body.below >= body.above) refuse(`below (${body.below}) must be under above (${body.above})`);
  const upForMs = body.for ?? DEFAULT_WINDOW_MS;
  return {
    ...common, mode: 'step', above: body.above, below: body.below, upForMs, downForMs: body.downFor ?? upForMs, step: body.step ?? 1,
  };
}
