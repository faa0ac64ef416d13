// Durations as people type them (`--for 5m`, `--cooldown 90s`): a whole number of seconds, minutes or
// hours, at most a day. Alert rules, healing and autoscaling policies read them the same way.
const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000 };
const MAX_MS = 24 * 3_600_000;

/** Milliseconds, or undefined when the text is no such duration. */
export function parseDuration(text: unknown): number | undefined {
  if (text === 0 || text === '0') return 0;
  if (typeof text !== 'string') return undefined;
  const m = /^(\d{1,6})([smh])$/.exec(text.trim());
  if (!m) return undefined;
  const ms = Number(m[1]) * UNITS[m[2]!]!;
  return ms <= MAX_MS ? ms : undefined;
}

export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.round(ms / 1000)}s`;
}
