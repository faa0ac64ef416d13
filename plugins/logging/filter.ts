// Which lines a reader wants: ?ps=web.1 (or a process type: web), ?source=app|router|scalarium,
// ?grep=TEXT (case-insensitive), ?since=1h (or 30m, 2d, 90s, or a time: 2026-12-01T10:00:00Z).
// The API, the CLI, the Logs page and its live stream read the same parameters.
import { pluginError } from '../../server/plugin-api.ts';
import type { LogSource, ParsedLine } from './format.ts';

export interface LogFilter { ps?: string; source?: LogSource; grep?: string; since?: number }

const SOURCES: readonly LogSource[] = ['app', 'router', 'scalarium'];
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** The one error of a filter: its message says which parameter, its hint what to give instead. */
const invalidFilter = pluginError('logging', 'invalid_filter', { status: 400, message: (p) => String(p.message), hint: (p) => String(p.hint) });
const badFilter = (message: string, hint: string) => invalidFilter({ message, hint });

function text(value: unknown): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function parseSince(value: string, now = Date.now()): number {
  const relative = /^(\d{1,6})([smhd])$/.exec(value);
  if (relative) return now - Number(relative[1]) * UNIT_MS[relative[2]!]!;
  const at = /^\d{4}-\d\d-\d\d(T[\d:.]+(Z|[+-]\d\d:\d\d)?)?$/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(at)) throw badFilter(`since must be a duration or a time, got ${JSON.stringify(value.slice(0, 40))}`, 'Use e.g. 90s, 30m, 1h, 2d, or a time such as 2026-12-01T10:00:00Z.');
  return at;
}

/** The filter a request's query asks for; a clear 400 for what cannot be one. */
export function filterOf(query: Record<string, unknown>, now = Date.now()): LogFilter {
  const filter: LogFilter = {};
  const ps = text(query.ps);
  if (ps !== undefined) {
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(ps)) throw badFilter(`ps must be a process name such as web.1 or web, got ${JSON.stringify(ps.slice(0, 40))}`, 'Name a process (web.1), a process type (web), a router (its instance) or a platform part (deploy, ps, build).');
    filter.ps = ps;
  }
  const source = text(query.source);
  if (source !== undefined) {
    if (!SOURCES.includes(source as LogSource)) throw badFilter(`source must be app, router or scalarium, got ${JSON.stringify(source.slice(0, 40))}`, 'app: what the app printed; router: one line per request; scalarium: what the platform did.');
    filter.source = source as LogSource;
  }
  const grep = text(query.grep);
  if (grep !== undefined) {
    if (grep.length > 200) throw badFilter('grep must be at most 200 characters', 'Search for a shorter piece of text.');
    filter.grep = grep.toLowerCase();
  }
  const since = text(query.since);
  if (since !== undefined) filter.since = parseSince(since, now);
  return filter;
}

export function isEmpty(filter: LogFilter): boolean {
  return !filter.ps && !filter.source && !filter.grep && filter.since === undefined;
}

export function matches(filter: LogFilter, line: ParsedLine): boolean {
  if (filter.source && line.source !== filter.source) return false;
  // web matches web.1, web.2…; web.1 only itself.
  if (filter.ps && line.process !== filter.ps && !(line.source === 'app' && line.process.startsWith(`${filter.ps}.`))) return false;
  if (filter.since !== undefined && line.at < filter.since) return false;
  if (filter.grep && !line.message.toLowerCase().includes(filter.grep)) return false;
  return true;
}

/** The query string of a filter (for links and the live stream's URL). */
export function queryOf(filter: { ps?: string; source?: string; grep?: string; since?: string }): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filter)) if (value) params.set(key, value);
  const q = params.toString();
  return q ? `?${q}` : '';
}
