// The bodies of the autoscaling API (and the UI's forms), checked field by field with messages that
// say what to give; what needs the target (which metrics, which limits) is checked in policy-input.ts.
import { z } from 'zod';
import { OBJECT_BODY, parseDuration } from '../../server/plugin-api.ts';

const MAX_WINDOW_MS = 3_600_000;

/** 70, "70", "70%", "300ms", "1.5s" → a number (s are turned into ms; the metric decides what it means). */
const figure = (name: string) => z.union([z.number(), z.string()]).transform((value, ctx) => {
  const m = typeof value === 'number' ? [String(value), String(value), undefined, undefined] : /^\s*(\d{1,7}(\.\d{1,3})?)\s*(%|ms|s)?\s*$/.exec(value);
  const n = m ? Number(m[1]) * (m[3] === 's' ? 1000 : 1) : NaN;
  if (!Number.isFinite(n) || n < 0) {
    ctx.addIssue({ code: 'custom', message: `${name} must be a number that is not negative, like 70 (percent), 300ms or 25 (requests/s)` });
    return z.NEVER;
  }
  return n;
});

const duration = (name: string, minMs: number) => z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = typeof value === 'number' ? value : parseDuration(value);
  if (ms === undefined || !Number.isInteger(ms) || ms < minMs || ms > MAX_WINDOW_MS) {
    ctx.addIssue({ code: 'custom', message: `${name} must be a duration from ${minMs / 1000}s to 1h, like 5m or 90s` });
    return z.NEVER;
  }
  return ms;
});

const count = (name: string) => z.int({ error: `${name} must be a whole number from 0 to 100` }).min(0, { error: `${name} must be a whole number from 0 to 100` }).max(100, { error: `${name} must be a whole number from 0 to 100` });

export const POLICY_FIELDS = ['min', 'max', 'metric', 'above', 'below', 'target', 'for', 'downFor', 'cooldown', 'downCooldown', 'step', 'dryRun'] as const;

/** PUT …/autoscale/:role or :type. Windows are at least 10 s: the metrics come in 10 s buckets. */
export const policyBody = z.object({
  min: count('min'),
  max: count('max'),
  metric: z.string({ error: 'metric must be named: cpu, memory or load for a role; cpu, requests or p95 for a process type' }),
  above: figure('above').optional(),
  below: figure('below').optional(),
  target: figure('target').optional(),
  for: duration('for', 10_000).optional(),
  downFor: duration('downFor', 10_000).optional(),
  cooldown: duration('cooldown', 0).optional(),
  downCooldown: duration('downCooldown', 0).optional(),
  step: z.int({ error: 'step must be a whole number from 1 to 50' }).min(1, { error: 'step must be a whole number from 1 to 50' }).max(50, { error: 'step must be a whole number from 1 to 50' }).optional(),
  dryRun: z.boolean({ error: 'dryRun must be true or false' }).optional(),
}, {
  error: (issue) => (issue.code === 'unrecognized_keys'
    ? `the body takes ${POLICY_FIELDS.join(', ')} only, not ${String(issue.keys[0]).slice(0, 40)}`
    : OBJECT_BODY.error),
}).strict();

/** POST …/autoscale/:role/schedules or :type/schedules. */
export const scheduleBody = z.object({
  count: count('count'),
  cron: z.string({ error: 'cron must be a cron expression, like "0 8 * * 1-5"' }).max(100, { error: 'cron must be at most 100 characters' }),
  tz: z.string({ error: 'tz must be a time zone name, like Europe/Berlin' }).max(64, { error: 'tz must be at most 64 characters' }).default('UTC'),
}, {
  error: (issue) => (issue.code === 'unrecognized_keys' ? `the body takes count, cron and tz only, not ${String(issue.keys[0]).slice(0, 40)}` : OBJECT_BODY.error),
}).strict();
