// Each app's log on disk: <dir>/<app>.log, and <app>.log.1 before it once the log has grown to half
// its bound (rotation renames .log to .log.1, replacing the older one): an app's lines take at most
// `maxBytes` in all. Lines are appended in batches (every FLUSH_MS, one write per app) so that a busy
// router costs a write now and then, not one per request; a read flushes first, so it sees every
// line appended before it. Reads go backwards from the newest line through both files, so `-n`,
// search and filters span the rotation and a restarted server shows what was there before.
import fs from 'node:fs';
import path from 'node:path';
import { logTextLines, type LogLine } from '../../server/plugin-api.ts';
import { formatLine, herokuTime, MAX_MESSAGE_BYTES, parseLine, sourceOf, type ParsedLine } from './format.ts';
import { matches, type LogFilter } from './filter.ts';

export const DEFAULT_MAX_BYTES = 50 * 1024 * 1024;
const FLUSH_MS = 100;
const CHUNK = 64 * 1024;
/** Lines may arrive late (an agent's queue after a reconnect): a `since` read looks this much further back. */
const LATE_MS = 3_600_000;
/** A live reader that stops reading is cut off past this much unsent text; its client reconnects. */
const MAX_TAIL_BACKLOG = 1024 * 1024;

export interface Tail { filter: LogFilter; write(text: string): void; backlog(): number; end(): void }

interface AppFile { fd: number; size: number; pending: string[] }

export class LogStore {
  private readonly files = new Map<string, AppFile>();
  private readonly tails = new Map<string, Set<Tail>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly dir: string,
    private readonly maxBytes = DEFAULT_MAX_BYTES,
    private readonly onError: (error: Error) => void = () => {},
  ) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  fileOf(app: string): string {
    return path.join(this.dir, `${app}.log`);
  }

  append(line: LogLine): void {
    const text = formatLine(line);
    let file = this.files.get(line.app);
    if (!file) this.files.set(line.app, (file = { fd: -1, size: 0, pending: [] }));
    file.pending.push(text);
    this.timer ??= setTimeout(() => this.flushAll(), FLUSH_MS);
    const tails = this.tails.get(line.app);
    if (!tails?.size) return;
    const { source, process } = sourceOf(line);
    const at = Date.parse(herokuTime(line.at));
    const prefix = text.slice(0, text.indexOf(': ') + 2);
    for (const message of logTextLines(line.line, MAX_MESSAGE_BYTES)) {
      const parsed: ParsedLine = { at, source, process, message, text: `${prefix}${message}` };
      for (const tail of tails) {
        if (!matches(tail.filter, parsed)) continue;
        if (tail.backlog() > MAX_TAIL_BACKLOG) tail.end();
        else tail.write(`${parsed.text}\n`);
      }
    }
  }

  /** New lines of the app that pass `filter`, as they are appended; returns the way to stop. */
  follow(app: string, tail: Tail): () => void {
    let set = this.tails.get(app);
    if (!set) this.tails.set(app, (set = new Set()));
    set.add(tail);
    return () => {
      set!.delete(tail);
      if (!set!.size) this.tails.delete(app);
    };
  }

  /** The last `count` lines of the app that pass `filter`, oldest first (without their newlines). */
  async read(app: string, count: number, filter: LogFilter = {}): Promise<string[]> {
    if (count <= 0) return [];
    this.flush(app);
    // Both opened at once, before any await: a rotation cannot slip between them.
    const fds = [this.fileOf(app), `${this.fileOf(app)}.1`].map((file) => {
      try {
        return fs.openSync(file, 'r');
      } catch {
        return -1;
      }
    }).filter((fd) => fd >= 0);
    const found: string[] = [];
    const oldest = filter.since === undefined ? -Infinity : filter.since - LATE_MS;
    try {
      for (const fd of fds) {
        const more = await readBackwards(fd, (text) => {
          const parsed = parseLine(text);
          if (!parsed) return true;
          if (matches(filter, parsed)) found.push(text);
          return found.length < count && parsed.at >= oldest;
        });
        if (!more) break;
      }
    } finally {
      for (const fd of fds) fs.closeSync(fd);
    }
    return found.reverse();
  }

  /** An app was destroyed: its log goes, so a new app of its name starts with none. */
  forget(app: string): void {
    const file = this.files.get(app);
    if (file && file.fd >= 0) fs.closeSync(file.fd);
    this.files.delete(app);
    for (const tail of this.tails.get(app) ?? []) tail.end();
    this.tails.delete(app);
    for (const name of [this.fileOf(app), `${this.fileOf(app)}.1`]) fs.rmSync(name, { force: true });
  }

  close(): void {
    this.flushAll();
    for (const file of this.files.values()) if (file.fd >= 0) fs.closeSync(file.fd);
    this.files.clear();
    for (const set of this.tails.values()) for (const tail of set) tail.end();
    this.tails.clear();
  }

  private flushAll(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const app of this.files.keys()) this.flush(app);
  }

  /** Writes the app's pending lines, rotating before a line that would take the file past half the bound. */
  private flush(app: string): void {
    const file = this.files.get(app);
    if (!file?.pending.length) return;
    const pending = file.pending;
    file.pending = [];
    try {
      if (file.fd < 0) {
        file.fd = fs.openSync(this.fileOf(app), 'a', 0o600);
        file.size = fs.fstatSync(file.fd).size;
      }
      const half = Math.floor(this.maxBytes / 2);
      let batch = '';
      let batchBytes = 0;
      for (const text of pending) {
        const bytes = Buffer.byteLength(text);
        if (file.size + batchBytes + bytes > half && file.size + batchBytes > 0) {
          if (batch) fs.writeSync(file.fd, batch);
          this.rotate(app, file);
          batch = '';
          batchBytes = 0;
        }
        batch += text;
        batchBytes += bytes;
      }
      if (batch) fs.writeSync(file.fd, batch);
      file.size += batchBytes;
    } catch (error) {
      this.onError(error as Error);
    }
  }

  private rotate(app: string, file: AppFile): void {
    fs.closeSync(file.fd);
    fs.renameSync(this.fileOf(app), `${this.fileOf(app)}.1`);
    file.fd = fs.openSync(this.fileOf(app), 'a', 0o600);
    file.size = 0;
  }
}

/** Calls `each` with the file's lines from the last to the first until it returns false; false then. */
async function readBackwards(fd: number, each: (line: string) => boolean): Promise<boolean> {
  const { size } = fs.fstatSync(fd);
  let position = size;
  let rest = Buffer.alloc(0);
  while (position > 0) {
    const length = Math.min(CHUNK, position);
    position -= length;
    const chunk = Buffer.alloc(length);
    await new Promise<void>((resolve, reject) => fs.read(fd, chunk, 0, length, position, (error) => (error ? reject(error) : resolve())));
    const buf = rest.length ? Buffer.concat([chunk, rest]) : chunk;
    let end = buf.length;
    for (let i = buf.length - 1; i >= 0; i--) {
      if (buf[i] !== 0x0a) continue;
      if (i + 1 < end && !each(buf.toString('utf8', i + 1, end))) return false;
      end = i;
    }
    rest = buf.subarray(0, end);
  }
  return !(rest.length && !each(rest.toString('utf8')));
}
