// logs: the last lines of the app's log, and with --tail the new ones as they come.
import { isAbort } from '../api-client.ts';
import type { Command } from '../command.ts';
import { CliError } from '../errors.ts';

const logs: Command = {
  name: 'logs',
  summary: 'Show the app\'s logs (--tail: keep streaming; Ctrl-C to stop)',
  app: true,
  options: {
    num: { type: 'string', short: 'n', value: 'N', description: 'how many past lines to show (default 100)' },
    tail: { type: 'boolean', short: 't', description: 'keep the stream open and print new lines as they come' },
  },
  examples: ['scalarium logs', 'scalarium logs --num 20 --tail', 'scalarium logs -t -a shop | grep web.1'],
  async run(ctx) {
    const num = ctx.string('num') ?? '100';
    if (!/^\d{1,7}$/.test(num)) throw ctx.usage(`--num must be a whole number, got ${JSON.stringify(num)}.`);
    const tail = ctx.flag('tail');
    const path = await ctx.appPath('/logs');
    const api = await ctx.api();
    let body: ReadableStream<Uint8Array>;
    try {
      body = await api.stream(path, { lines: Number(num), tail: tail ? 1 : undefined });
    } catch (error) {
      if (isAbort(error) || ctx.signal?.aborted) return 0;
      throw error;
    }
    const reader = body.getReader();
    const stop = () => void reader.cancel().catch(() => {});
    ctx.signal?.addEventListener('abort', stop, { once: true });
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (value && value.byteLength > 0) ctx.io.stdout.write(value);
      }
    } catch (error) {
      if (isAbort(error) || ctx.signal?.aborted) return 0;
      throw new CliError(`The log stream from ${api.server} broke: ${(error as Error).message}`);
    } finally {
      ctx.signal?.removeEventListener('abort', stop);
    }
    if (tail && !ctx.signal?.aborted) ctx.err('▸ The server closed the log stream.');
    return 0;
  },
};

export const commands: Command[] = [logs];
