// Upserts of points as SQL text with the values written in. A batch is thousands of rows, and
// formatting a binding per value (knex, then the driver) cost more than SQLite's own work; only
// finite numbers, a resolution name and histogram JSON that we made go in, each as a literal.
// The SQL is the standard upsert both SQLite (3.24+) and Postgres (9.5+) take.
import type { Resolution } from './types.ts';

const COLUMNS = '"series_id", "resolution", "at", "sum", "count", "max", "hist", "p50", "p95", "p99"';
const KEY = '"series_id", "resolution", "at"';

/** On conflict: sums and counts add up, the larger max stays (a counter's null max stays null). */
export const ADD = 'do update set "sum" = {t}."sum" + excluded."sum", "count" = {t}."count" + excluded."count", ' +
  '"max" = case when excluded."max" is null or {t}."max" >= excluded."max" then {t}."max" else excluded."max" end';
/** On conflict: the row is replaced by the given one (a histogram merged in code). */
export const REPLACE = 'do update set "sum" = excluded."sum", "count" = excluded."count", "hist" = excluded."hist", ' +
  '"p50" = excluded."p50", "p95" = excluded."p95", "p99" = excluded."p99"';
/** On conflict: the row stays as it is. */
export const KEEP = 'do nothing';

const orNull = (value: number | null) => (value === null ? 'null' : number(value));

/**
 * The value columns of a row (sum, count, max, hist and a histogram's p50/p95/p99, which a graph of
 * one series reads instead of the counts), made once for the three resolutions.
 */
export function values(sum: number, count: number, max: number | null, hist: string | null, quantiles: readonly [number | null, number | null, number | null] = [null, null, null]): string {
  return `${number(sum)},${number(count)},${orNull(max)},${hist === null ? 'null' : `'${hist.replaceAll("'", "''")}'`},${quantiles.map(orNull).join(',')}`;
}

/** One row: its key and the value columns from values(). */
export function row(seriesId: number, resolution: Resolution, at: number, valueColumns: string): string {
  return `(${number(seriesId)},'${resolution}',${number(at)},${valueColumns})`;
}

export function upsertSql(table: string, rows: string[], onConflict: string): string {
  return `insert into "${table}" (${COLUMNS}) values ${rows.join(',')} on conflict (${KEY}) ${onConflict.replaceAll('{t}', `"${table}"`)}`;
}

function number(value: number): string {
  if (!Number.isFinite(value)) throw new TypeError(`not a finite number: ${value}`);
  return String(value);
}
