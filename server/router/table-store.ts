// The router's memory across restarts: the last installed RouteTable as a JSON file, so that a
// restarted router serves at once, before the server is reachable (or while it is down).
// Writes are atomic (temp file in the same directory, fsync, rename) and coalesced: when tables
// arrive faster than the disk takes them, only the newest pending one is written next.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { RouteTable } from '../agent/protocol.ts';
import { parseRouteTable } from './route-table.ts';

export class TableStore {
  private writing: Promise<void> | undefined;
  private pending: RouteTable | undefined;
  private pendingWaiters: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];

  constructor(readonly file: string) {}

  /**
   * The stored table; undefined when there is none yet. A corrupt file is reported through `warn`
   * and ignored (the server sends a fresh table on connect).
   */
  async load(warn: (line: string) => void = () => {}): Promise<RouteTable | undefined> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      return parseRouteTable(JSON.parse(text));
    } catch (error) {
      warn(`ignoring unreadable route table ${this.file}: ${(error as Error).message}`);
      return undefined;
    }
  }

  /** Resolves once `table` (or a newer table saved after it) is on disk. */
  save(table: RouteTable): Promise<void> {
    this.pending = table;
    const done = new Promise<void>((resolve, reject) => this.pendingWaiters.push({ resolve, reject }));
    if (this.writing === undefined) this.writing = this.flush();
    return done;
  }

  /** Resolves once no write is in progress (used at shutdown). */
  async idle(): Promise<void> {
    while (this.writing !== undefined) await this.writing;
  }

  private async flush(): Promise<void> {
    while (this.pending !== undefined) {
      const table = this.pending;
      const waiters = this.pendingWaiters;
      this.pending = undefined;
      this.pendingWaiters = [];
      try {
        await writeAtomic(this.file, `${JSON.stringify(table, null, 2)}\n`);
        for (const w of waiters) w.resolve();
      } catch (error) {
        for (const w of waiters) w.reject(error as Error);
      }
    }
    this.writing = undefined;
  }
}

async function writeAtomic(file: string, text: string): Promise<void> {
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true });
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    const handle = await fs.open(temp, 'w', 0o644);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, file);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
}
