// The router's access log: the proxy appends one entry per request to a buffer (no formatting, no
// I/O on the hot path); every FLUSH_MS the buffer goes to the control plane as one message, which
// turns the entries into the apps' `router` log lines (server/agent/access-lines.ts). Like the
// meter, only hosts of the route table get here. While the server is away batches queue in the
// connection (bounded); a burst beyond MAX_BUFFERED entries between two flushes is dropped, counted.
import type { AccessEntry } from '../agent/protocol.ts';

const FLUSH_MS = 250;
const MAX_BUFFERED = 10_000;

export class AccessLog {
  private entries: AccessEntry[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Entries dropped because a flush window overflowed (said in the next operational log line). */
  dropped = 0;

  constructor(private readonly send: (entries: AccessEntry[]) => void, private readonly log: (line: string) => void = () => {}) {}

  record(host: string, method: string | undefined, path: string | undefined, status: number, ms: number, bytes: number, fwd: string | undefined, https: boolean, code?: string): void {
    if (this.entries.length >= MAX_BUFFERED) {
      this.dropped++;
      return;
    }
    const entry: AccessEntry = [Date.now(), host, method ?? '', path ?? '', status, Math.round(ms), bytes, fwd ?? '', https ? 1 : 0];
    if (code) entry.push(code);
    this.entries.push(entry);
    this.timer ??= setTimeout(() => this.flush(), FLUSH_MS).unref();
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.dropped) {
      this.log(`access log: ${this.dropped} entries dropped (more than ${MAX_BUFFERED} in ${FLUSH_MS} ms)`);
      this.dropped = 0;
    }
    if (!this.entries.length) return;
    const batch = this.entries;
    this.entries = [];
    this.send(batch);
  }
}
