// One log line in Heroku's format, as it is stored, searched and shown:
//   2026-12-01T10:00:00.123456+00:00 app[web.1]: listening on 5000
//   2026-12-01T10:00:00.456000+00:00 router[local-router-1]: at=info method=GET path="/" host=shop.localhost … status=200 service=12ms bytes=120 protocol=http
//   2026-12-01T10:00:01.000000+00:00 scalarium[deploy]: Release v5 by alice is live: Deploy 1a2b3c4
// Lines from agents and routers arrive escaped and bounded (core's log-text); lines from anywhere
// else are held to the same promise here: one entry is one line of at most MAX_MESSAGE_BYTES.
import { logTextLines, MAX_LINE_BYTES, type LogLine } from '../../server/plugin-api.ts';

export const MAX_MESSAGE_BYTES = MAX_LINE_BYTES; // 10 KB, as Heroku splits, and as agents do
export type LogSource = 'app' | 'router' | 'scalarium';

export interface ParsedLine {
  /** ms since the epoch. */
  at: number;
  source: LogSource;
  /** What the brackets say: web.1, a router's instance, deploy… */
  process: string;
  message: string;
  /** The whole line, without its newline. */
  text: string;
}

/** 2026-12-01T10:00:00.123Z → 2026-12-01T10:00:00.123000+00:00 (what JavaScript knows is milliseconds). */
export function herokuTime(iso: string): string {
  const ms = Date.parse(iso);
  const date = Number.isNaN(ms) ? new Date() : new Date(ms);
  return `${date.toISOString().slice(0, 23)}000+00:00`;
}

/** A name that can stand inside the brackets: process types, dynos, instance ids. */
function bracketName(name: string | undefined, fallback: string): string {
  const cleaned = (name ?? '').replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64);
  return cleaned || fallback;
}

export function sourceOf(line: LogLine): { source: LogSource; process: string } {
  if (line.source === 'router') return { source: 'router', process: bracketName(line.process, 'router') };
  if (line.source === 'scalarium') return { source: 'scalarium', process: bracketName(line.process, 'platform') };
  return { source: 'app', process: bracketName(line.source, 'app') };
}

/** The stored lines of one entry (one, unless its message is longer than the bound), each ending in a newline. */
export function formatLine(line: LogLine): string {
  const { source, process } = sourceOf(line);
  const prefix = `${herokuTime(line.at)} ${source}[${process}]: `;
  return logTextLines(line.line, MAX_MESSAGE_BYTES).map((message) => `${prefix}${message}\n`).join('');
}

const LINE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) (app|router|scalarium)\[([^\]]*)\]: (.*)$/;

/** A stored line read back; lines of the older format ("… app[web.1]: …" with a Z time, "… scalarium: …") too. */
export function parseLine(text: string): ParsedLine | undefined {
  const m = LINE.exec(text);
  if (m) return { at: Date.parse(m[1]!), source: m[2] as LogSource, process: m[3]!, message: m[4]!, text };
  const old = /^(\S+) (router|scalarium): (.*)$/.exec(text);
  if (old && !Number.isNaN(Date.parse(old[1]!))) return { at: Date.parse(old[1]!), source: old[2] as LogSource, process: old[2]!, message: old[3]!, text };
  return undefined;
}
