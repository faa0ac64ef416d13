// The questions a usage report answers: which month (YYYY-MM, UTC; this month by default), grouped
// by what (app, cluster or user), as JSON or CSV. Anything else is a 400 that says what to use.
import { ScalariumError } from '../../server/plugin-api.ts';

export const GROUPINGS = ['app', 'cluster', 'user'] as const;
export type Grouping = (typeof GROUPINGS)[number];
const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

export const monthOf = (ms: number): string => new Date(ms).toISOString().slice(0, 7);

/** [start, end) of a month in ms (UTC). */
export function monthRange(month: string): { from: number; to: number } {
  const [year, mon] = month.split('-').map(Number) as [number, number];
  return { from: Date.UTC(year, mon - 1, 1), to: Date.UTC(year, mon, 1) };
}

const shown = (value: unknown): string => (typeof value === 'string' ? value.slice(0, 40) : String(value));

export function parseMonth(value: unknown, now: number): string {
  if (value === undefined || value === '') return monthOf(now);
  const match = typeof value === 'string' ? MONTH.exec(value) : null;
  if (!match || Number(match[1]) < 2000) {
    throw new ScalariumError('invalid_query', { name: 'month', value: shown(value), hint: 'Give a month as YYYY-MM, e.g. 2026-11 (months 01-12, from 2000).' });
  }
  return value as string;
}

export function parseGrouping(value: unknown): Grouping {
  if (value === undefined || value === '') return 'app';
  if (typeof value === 'string' && (GROUPINGS as readonly string[]).includes(value)) return value as Grouping;
  throw new ScalariumError('invalid_query', { name: 'grouping', value: shown(value), hint: 'Use --by app, --by cluster or --by user (by=app|cluster|user).' });
}

export function parseFormat(format: unknown, accept: string | undefined): 'json' | 'csv' {
  if (format === 'csv') return 'csv';
  if (format === 'json') return 'json';
  if (format !== undefined && format !== '') {
    throw new ScalariumError('invalid_query', { name: 'format', value: shown(format), hint: 'Use format=json (the default) or format=csv.' });
  }
  return /\btext\/csv\b/.test(accept ?? '') ? 'csv' : 'json';
}
