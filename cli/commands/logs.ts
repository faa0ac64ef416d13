// logs: the last lines of the app's log (in Heroku's format, docs/logs.md), filtered by process,
// source, text and time, and with --tail the new ones as they come.
import { isAbort } from '../api-client.ts';
import type { Command, Context } from '../command.ts';
import { CliError } from '../errors.ts';

const logs: Command = {
  name: 'logs',
  summary: 'Show the app\'s logs (--tail: keep streaming; Ctrl-C to stop)',
  app: true,
  options: {
    num: { type: 'string', short: 'n', value: 'N', description: 'how many past lines to show (default 100, at most 10000)' },
    tail: { type: 'boolean', short: 't', description: 'keep the stream open and print new lines as they come' },
    ps: { type: 'string', short: 'p', value: 'NAME', description: 'only this process (web.1), process type (web) or platform part (deploy, ps)' },
    source: { type: 'string', short: 's', value: 'SOURCE', description: 'only app, router or scalarium lines' },
    grep: { type: 'string', short: 'g', value: 'TEXT', description: 'only lines whose message contains TEXT (any case)' },
    since: { type: 'string', value: 'WHEN', description: 'only lines since a time ago (90s, 30m, 1h, 2d) or a time (2026-12-01T10:00:00Z)' },
  },
  description: 'Router access lines are on for every app; `scalarium config:set SCALARIUM_ROUTER_LOGS=off` turns them off for one.',
  examples: ['scalarium logs', 'scalarium logs --num 20 --tail', 'scalarium logs -t -a shop --ps web.1', 'scalarium logs --source router --grep status=500 --since 1h'],
  async run(ctx) {
    const num = ctx.string('num') ?? '100';
    if (!/^\d{1,7}$/.test(num)) throw ctx.usage(`--num must be a whole number, got ${JSON.stringify(num)}.`);
    const source = ctx.string('source');
    if (source !== undefined && !['app', 'router', 'scalarium'].includes(source)) throw ctx.usage(`--source must be app, router or scalarium, got ${JSON.stringify(source)}.`);
    // The server checks the rest (and says what is wrong) the same way for the API and the UI.
    const filter: Record<string, string> = {};
    for (const name of ['ps', 'source', 'grep', 'since'] as const) {
      const value = ctx.string(name);
      if (value !== undefined) filter[name] = value;
    }
    const tail = ctx.flag('tail');
    const path = await ctx.appPath('/logs');
    const api = await ctx.api();
    if (!tail) {
      try {
        await copy(ctx, await api.stream(path, { lines: Number(num), ...filter }));
      } catch (error) {
        if (!isAbort(error) && !ctx.signal?.aborted) throw error;
      }
      return 0;
    }
    // A tail lasts until Ctrl-C: when the stream ends (the server restarted, the network broke) it
    // reconnects and goes on with the new lines, saying so on stderr.
    let lines = Number(num);
    let connected = false;
    let backoffMs = 0;
    for (;;) {
      let reason = 'the server closed it';
      try {
        const body = await api.stream(path, { lines, ...filter, tail: 1 });
        if (connected) ctx.err('▸ Reconnected.');
        connected = true;
        backoffMs = 0;
        await copy(ctx, body);
      } catch (error) {
        if (isAbort(error) || ctx.signal?.aborted) return 0;
        // Not reachable at all the first time: that is an error to report, not one to wait out.
        if (!connected) throw error;
        reason = (error as Error).message;
      }
      if (ctx.signal?.aborted) return 0;
      lines = 0;
      backoffMs = Math.min(Math.max(backoffMs * 2, 500), 10_000);
      ctx.err(`▸ The log stream ended (${reason.replace(/\.$/, '')}); reconnecting in ${backoffMs / 1000} s…`);
      if (!(await sleep(backoffMs, ctx.signal))) return 0;
    }
  },
};

/** Writes the stream to stdout until it ends; Ctrl-C ends it quietly. */
async function copy(ctx: Context, body: ReadableStream<Uint8Array>): Promise<void> {
  const reader = body.getReader();
  const stop = () => void reader.cancel().catch(() => {});
  ctx.signal?.addEventListener('abort', stop, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (value && value.byteLength > 0) ctx.io.stdout.write(value);
    }
  } catch (error) {
    if (isAbort(error) || ctx.signal?.aborted) return;
    throw new CliError(`The log stream broke: ${(error as Error).message}`);
  } finally {
    ctx.signal?.removeEventListener('abort', stop);
  }
}

/** Waits, or resolves false at once when Ctrl-C comes first. */
function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export const commands: Command[] = [logs];
