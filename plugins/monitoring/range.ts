// The range a metrics request covers: ?since=1h (the default), 90m, 12h, 7d… up to 400 days, the
// longest the hourly points are kept.
import { ScalariumError } from '../../server/plugin-api.ts';

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };
export const MAX_RANGE_MS = 400 * 86_400_000;
export const DEFAULT_RANGE = '1h';

export function parseSince(value: unknown): number {
  const text = value === undefined || value === '' ? DEFAULT_RANGE : value;
  const match = typeof text === 'string' ? /^([1-9]\d{0,5})([mhd])$/.exec(text) : null;
  const ms = match ? Number(match[1]) * UNIT_MS[match[2]!]! : NaN;
  if (!(ms <= MAX_RANGE_MS)) {
    throw new ScalariumError('invalid_query', {
      name: 'range', value: typeof text === 'string' ? text.slice(0, 40) : String(text), reason: match ? 'at most 400 days are kept' : undefined,
      hint: 'Use a number and m, h or d: 1h, 90m, 1d, 7d, 30d (at most 400d).',
    });
  }
  return ms;
}
