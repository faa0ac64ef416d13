// GET /api/apps/:app/logs?lines=100&ps=web.1&source=app&grep=TEXT&since=1h[&tail=1]: the app's
// last lines that pass the filter as text/plain, and with tail=1 the new ones as they come (the
// response stays open). Needs the app's `logs` action; another app's log answers 404 like a
// missing app, the stream included (declare() decides before anything is read).
import type Router from '@koa/router';
import { appResource, bearerToken, declare, requireApp, type Scalarium } from '../../server/plugin-api.ts';
import { filterOf } from './filter.ts';
import type { LiveTails } from './live-tail.ts';
import type { LogStore } from './log-store.ts';

export const DEFAULT_LINES = 100;
export const MAX_LINES = 10_000;

/** ?lines=N; 0 is a real answer: none of the past (a tail that reconnects asks for that). */
export function linesOf(value: unknown): number {
  const asked = typeof value === 'string' && value !== '' ? Number(value) : DEFAULT_LINES;
  return Number.isInteger(asked) && asked >= 0 ? Math.min(asked, MAX_LINES) : DEFAULT_LINES;
}

export function logRoutes(scalarium: Scalarium, router: Router, store: LogStore, tails: LiveTails): void {
  declare(scalarium, router, {
    method: 'get', path: '/api/apps/:app/logs', action: 'logs', resource: appResource,
    async handler(ctx, principal) {
      const app = await requireApp(scalarium, ctx.params.app!);
      const filter = filterOf(ctx.query);
      const recent = (await store.read(app.name, linesOf(ctx.query.lines), filter)).map((l) => `${l}\n`).join('');
      ctx.type = 'text/plain; charset=utf-8';
      if (!ctx.query.tail) {
        ctx.body = recent;
        return;
      }
      // The token the API authenticated this request with is asked again while the stream runs.
      ctx.body = tails.follow(ctx, { app: app.name, filter, format: (text) => text, first: recent, credentials: { token: bearerToken(ctx) }, userId: principal.user.id });
    },
  });
}
