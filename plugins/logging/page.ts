// The Logs tab of an app: its recent lines and a search form (a plain GET form: it works without
// JavaScript), and a live tail through server-sent events (/apps/:app/logs/stream) that a few lines
// of script of this server's own (/assets/logging/tail.js) add to the page as text. Lines are shown
// as the log stores them, escaped by the template: an app's ANSI escapes and HTML stay text.
import fs from 'node:fs';
import type Router from '@koa/router';
import type Koa from 'koa';
import {
  appTabs, authorizeApp, requireApp, requireSession, ScalariumError, view, type FormError, type Scalarium,
} from '../../server/plugin-api.ts';
import { filterOf, isEmpty, queryOf, type LogFilter } from './filter.ts';
import type { LogStore } from './log-store.ts';
import type { LiveTails } from './live-tail.ts';

const PAGE_LINES = 500;
const HEARTBEAT_MS = 25_000;
const TAIL_SCRIPT = fs.readFileSync(new URL('./assets/tail.js', import.meta.url), 'utf8');
/** Core's policy, with this server's own scripts allowed: the page's one script is the live tail. */
const PAGE_POLICY = "default-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'";

export const logsPagePath = (app: string): string => `/apps/${encodeURIComponent(app)}/logs`;

const SOURCES = [{ value: '', label: 'all' }, { value: 'app', label: 'app' }, { value: 'router', label: 'router' }, { value: 'scalarium', label: 'scalarium' }];

function typedFilter(query: Koa.Context['query']): Record<'ps' | 'source' | 'grep' | 'since', string> {
  const one = (v: unknown) => (typeof v === 'string' ? v.slice(0, 200) : '');
  return { ps: one(query.ps), source: one(query.source), grep: one(query.grep), since: one(query.since) };
}

function summaryOf(count: number, filtered: boolean): string {
  if (!count) return filtered ? 'No line matches.' : 'No lines yet.';
  const lines = count === 1 ? 'line' : `${count} lines`;
  return `The last ${lines}${filtered ? (count === 1 ? ' that matches' : ' that match') : ''}, oldest first.`;
}

export function logsPages(scalarium: Scalarium, router: Router, store: LogStore, tails: LiveTails): void {
  router.get('/assets/logging/tail.js', (ctx) => {
    ctx.type = 'application/javascript; charset=utf-8';
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = TAIL_SCRIPT;
  });

  router.get('/apps/:app/logs', async (ctx) => {
    const session = await requireSession(scalarium, ctx);
    if (!session) return;
    await authorizeApp(scalarium, ctx, session.principal, 'logs', ctx.params.app!);
    const app = await requireApp(scalarium, ctx.params.app!);
    const typed = typedFilter(ctx.query);
    let filter: LogFilter = {};
    let error: FormError | undefined;
    try {
      filter = filterOf(ctx.query);
    } catch (e) {
      if (!(e instanceof ScalariumError)) throw e;
      ctx.status = e.status;
      error = { message: e.message, hint: e.hint };
    }
    const lines = error ? [] : await store.read(app.name, PAGE_LINES, filter);
    const path = logsPagePath(app.name);
    const query = queryOf(typed);
    ctx.set('Content-Security-Policy', PAGE_POLICY);
    view(scalarium, ctx, 'logging/logs', {
      title: `${app.name} · logs`, appName: app.name, ...appTabs(scalarium, session, app.name, path),
      path, query, streamPath: `${path}/stream${query}`, filter: typed, filtered: !isEmpty(filter), error,
      sources: SOURCES.map((s) => ({ ...s, selected: s.value === typed.source })), lines, summary: summaryOf(lines.length, !isEmpty(filter)),
    }, session);
  });

  // The live tail: one `data:` event per new line (a stored line never holds a CR or LF, so it is one field).
  router.get('/apps/:app/logs/stream', async (ctx) => {
    const session = await requireSession(scalarium, ctx);
    if (!session) return;
    await authorizeApp(scalarium, ctx, session.principal, 'logs', ctx.params.app!);
    const app = await requireApp(scalarium, ctx.params.app!);
    const filter = filterOf(ctx.query);
    ctx.type = 'text/event-stream; charset=utf-8';
    ctx.set('X-Accel-Buffering', 'no');
    const stream = tails.follow(ctx, {
      app: app.name, filter, format: (text) => `data: ${text.slice(0, -1)}\n\n`, first: ': live\n\n',
      credentials: { sessionId: session.id }, userId: session.principal.user.id,
    });
    const heartbeat = setInterval(() => stream.write(': still here\n\n'), HEARTBEAT_MS).unref();
    stream.on('close', () => clearInterval(heartbeat));
    ctx.body = stream;
  });
}
