// A live tail (`logs --tail`, the Logs page's stream) held open for hours, with three limits: a
// reader that falls 1 MB behind is cut off (its connection closed, so nothing stays buffered for
// it), a principal holds at most MAX_TAILS_PER_USER tails at once, and every 30 s the
// credential that opened it is checked again — a revoked token, a removed grant or a logout ends
// the stream as it would refuse the next request.
import type Koa from 'koa';
import { PassThrough } from 'node:stream';
import { pluginError, type Credentials, type Scalarium } from '../../server/plugin-api.ts';
import type { LogFilter } from './filter.ts';
import type { LogStore } from './log-store.ts';

export const MAX_TAILS_PER_USER = 20;

/** SCALARIUM_LOG_TAIL_RECHECK: seconds between checks of a live tail's credential (default 30). */
export function recheckMs(value = process.env.SCALARIUM_LOG_TAIL_RECHECK): number {
  if (value === undefined || value === '') return 30_000;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0.1 || n > 3600) throw new Error(`SCALARIUM_LOG_TAIL_RECHECK must be seconds from 0.1 to 3600, got "${value}"`);
  return Math.round(n * 1000);
}

const tooManyTails = pluginError('logging', 'too_many_tails', {
  status: 429, message: (p) => `you have ${String(p.max)} live log streams open already`, hint: () => 'Close one (Ctrl-C a `logs --tail`, or a Logs tab) and try again.',
});

export interface TailRequest {
  app: string;
  filter: LogFilter;
  /** How a stored line (with its newline) is written to the client. */
  format: (line: string) => string;
  /** Written first: the recent lines, or an SSE comment. */
  first?: string;
  /** Who opened it, as the request authenticated (a token or a UI session) — asked again while it runs. */
  credentials: Credentials;
  userId: number;
}

export class LiveTails {
  private readonly open = new Map<number, number>();

  constructor(private readonly scalarium: Scalarium, private readonly store: LogStore, private readonly everyMs = recheckMs()) {}

  /** Holds the response open and writes each new line of the app that passes the filter. */
  follow(ctx: Koa.Context, request: TailRequest): PassThrough {
    const held = this.open.get(request.userId) ?? 0;
    if (held >= MAX_TAILS_PER_USER) throw tooManyTails({ max: MAX_TAILS_PER_USER });
    this.open.set(request.userId, held + 1);
    const stream = new PassThrough();
    if (request.first) stream.write(request.first);
    const cutOff = () => {
      stream.destroy();
      ctx.res.destroy(); // a reader that does not read keeps nothing of ours
    };
    const stop = this.store.follow(request.app, {
      filter: request.filter, write: (text) => stream.write(request.format(text)), backlog: () => stream.writableLength, end: cutOff,
    });
    const recheck = setInterval(() => {
      void this.stillAllowed(request).then((ok) => ok || cutOff(), () => undefined);
    }, this.everyMs);
    recheck.unref();
    ctx.req.socket.setTimeout(0);
    // A tail of no past lines writes nothing until a line comes: its headers go now (koa has set them by then).
    setImmediate(() => {
      if (!ctx.res.headersSent && !ctx.res.destroyed) ctx.res.flushHeaders();
    });
    let closed = false;
    ctx.res.on('close', () => {
      if (closed) return;
      closed = true;
      clearInterval(recheck);
      stop();
      stream.destroy();
      const now = (this.open.get(request.userId) ?? 1) - 1;
      if (now > 0) this.open.set(request.userId, now);
      else this.open.delete(request.userId);
    });
    return stream;
  }

  private async stillAllowed(request: TailRequest): Promise<boolean> {
    const principal = await this.scalarium.hooks.authenticate.promise(request.credentials);
    return Boolean(principal && (await this.scalarium.hooks.authorize.promise(principal, 'logs', { kind: 'app', name: request.app })));
  }
}
