// App logs: every line an app's processes print (and what Scalarium says about the app: who changed
// what, each deployment's outcome) is appended to <data>/logs/<app>.log and fanned out to live tails (`scalarium logs --tail`).
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { appResource, declare, isValidName, requireApp, type LogLine, type Plugin, type Scalarium } from '../../server/plugin-api.ts';
import { tapPlatformEvents } from './platform-events.ts';

const NAME = 'logging';
const MAX_LINES = 1500;

export function formatLine(line: LogLine): string {
  const source = line.source === 'router' || line.source === 'scalarium' ? line.source : `app[${line.source}]`;
  // One event, one line: control characters from apps must not forge extra log lines.
  return `${line.at} ${source}: ${line.line.replace(/[\r\n\u0000]/g, ' ')}\n`;
}

/** The last `count` lines of a file without reading all of it. */
export async function tailFile(file: string, count: number): Promise<string> {
  if (count <= 0) return '';
  const handle = await fsp.open(file, 'r').catch(() => undefined);
  if (!handle) return '';
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, count * 400 + 4096);
    const { buffer } = await handle.read(Buffer.alloc(length), 0, length, size - length);
    const lines = buffer.toString('utf8').split('\n').filter(Boolean);
    if (size > length) lines.shift(); // the first one is likely cut
    return lines.slice(-count).map((l) => `${l}\n`).join('');
  } finally {
    await handle.close();
  }
}

export class AppLogs {
  private readonly tails = new Map<string, Set<PassThrough>>();
  private readonly streams = new Map<string, fs.WriteStream>();

  constructor(private readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  fileOf(app: string): string {
    return path.join(this.dir, `${app}.log`);
  }

  append(line: LogLine): void {
    if (!isValidName(line.app)) return;
    const text = formatLine(line);
    let stream = this.streams.get(line.app);
    if (!stream) {
      stream = fs.createWriteStream(this.fileOf(line.app), { flags: 'a', mode: 0o600 });
      this.streams.set(line.app, stream);
    }
    stream.write(text);
    for (const tail of this.tails.get(line.app) ?? []) tail.write(text);
  }

  follow(app: string): PassThrough {
    const tail = new PassThrough();
    let set = this.tails.get(app);
    if (!set) this.tails.set(app, (set = new Set()));
    set.add(tail);
    tail.on('close', () => set!.delete(tail));
    return tail;
  }

  close(): void {
    for (const s of this.streams.values()) s.end();
    for (const set of this.tails.values()) for (const t of set) t.end();
  }
}

export function createLoggingPlugin(): Plugin {
  return {
    name: NAME,
    apply(scalarium: Scalarium) {
      const logs = new AppLogs(path.join(scalarium.config.dataDir, 'logs'));
      scalarium.onClose(() => logs.close());
      scalarium.hooks.log.tap(NAME, (line) => logs.append(line));
      tapPlatformEvents(scalarium, NAME, (line) => logs.append(line));
      scalarium.hooks.routes.tap(NAME, (router) => {
        declare(scalarium, router, {
          method: 'get', path: '/api/apps/:app/logs', action: 'logs', resource: appResource,
          async handler(ctx) {
            const app = await requireApp(scalarium, ctx.params.app);
            // 0 is a real answer: none of the past (a tail that reconnects asks for that).
            const asked = typeof ctx.query.lines === 'string' && ctx.query.lines !== '' ? Number(ctx.query.lines) : 100;
            const lines = Number.isInteger(asked) && asked >= 0 ? Math.min(asked, MAX_LINES) : 100;
            const recent = await tailFile(logs.fileOf(app.name), lines);
            ctx.type = 'text/plain; charset=utf-8';
            if (!ctx.query.tail) {
              ctx.body = recent;
              return;
            }
            const stream = logs.follow(app.name);
            stream.write(recent);
            ctx.req.socket.setTimeout(0);
            ctx.res.on('close', () => stream.destroy());
            ctx.body = stream;
          },
        });
      });
    },
  };
}

export default createLoggingPlugin;
