// A cluster's healing policy: on or off, a dry run (decisions written, nothing done), and when a
// silent instance is suspect and when it is replaced. The defaults hold until someone changes them.
import { z } from 'zod';
import { OBJECT_BODY, parseDuration, formatDuration } from '../../server/plugin-api.ts';

export interface HealingPolicy {
  enabled: boolean;
  dryRun: boolean;
  suspectAfterMs: number;
  replaceAfterMs: number;
}

export const DEFAULT_POLICY: HealingPolicy = { enabled: true, dryRun: false, suspectAfterMs: 15_000, replaceAfterMs: 30_000 };

/** Agents heartbeat every 5 s: less than two missed beats is no sign of anything. */
const MIN_SUSPECT_MS = 1_000;

const duration = (name: string) => z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = typeof value === 'number' ? value : parseDuration(value);
  if (ms === undefined || !Number.isInteger(ms) || ms < MIN_SUSPECT_MS || ms > 3_600_000) {
    ctx.addIssue({ code: 'custom', message: `${name} must be a duration from 1s to 1h, like 15s or 2m (or whole milliseconds)` });
    return z.NEVER;
  }
  return ms;
});

/** PUT /api/clusters/:cluster/healing and the Healing tab's form: any subset of the policy. */
export const policyBody = z.object({
  enabled: z.boolean({ error: 'enabled must be true or false' }).optional(),
  dryRun: z.boolean({ error: 'dryRun must be true or false' }).optional(),
  suspectAfter: duration('suspectAfter').optional(),
  replaceAfter: duration('replaceAfter').optional(),
}, {
  error: (issue) => (issue.code === 'unrecognized_keys'
    ? `the body takes enabled, dryRun, suspectAfter and replaceAfter only, not ${String(issue.keys[0]).slice(0, 40)}`
    : OBJECT_BODY.error),
}).strict();

/** The policy after a change, or why the change makes no sense. */
export function changedPolicy(current: HealingPolicy, change: z.output<typeof policyBody>): HealingPolicy | string {
  const next: HealingPolicy = {
    enabled: change.enabled ?? current.enabled,
    dryRun: change.dryRun ?? current.dryRun,
    suspectAfterMs: change.suspectAfter ?? current.suspectAfterMs,
    replaceAfterMs: change.replaceAfter ?? current.replaceAfterMs,
  };
  if (next.replaceAfterMs <= next.suspectAfterMs) {
    return `replaceAfter (${formatDuration(next.replaceAfterMs)}) must be longer than suspectAfter (${formatDuration(next.suspectAfterMs)})`;
  }
  return next;
}

export function describePolicy(policy: HealingPolicy): string {
  if (!policy.enabled) return 'off';
  return `${policy.dryRun ? 'dry run: ' : ''}suspect after ${formatDuration(policy.suspectAfterMs)} of silence, replaced after ${formatDuration(policy.replaceAfterMs)}`;
}
