// One drain's sender: its bounded buffer, one batch in flight at a time, retries with backoff, and
// its counters. Every drain has its own, and nothing here is awaited by whoever adds lines: a slow
// or dead receiver fills (then overflows) its own buffer and stalls nobody else.
import type { DrainBuffer } from './buffer.ts';
import { backoffMs } from './backoff.ts';
import type { DrainMessage } from './message.ts';
import { safeMessage, type Transport } from './transports/transport.ts';

/** ok: nothing failed since the last delivery; sending: a batch is on its way; failing: waiting to retry. */
export type DrainState = 'ok' | 'sending' | 'failing' | 'stopped';

export interface DrainStatus {
  state: DrainState;
  /** Messages the drain got, and messages dropped because its buffer was full, since the server started. */
  delivered: number;
  dropped: number;
  /** Messages waiting (or being sent). */
  backlog: number;
  connected?: boolean;
  lastDeliveredAt?: string;
  lastError?: { at: string; message: string };
  /** When a failing drain is tried again. */
  retryAt?: string;
}

export interface Drops {
  count: number;
  since: string;
}

export interface SenderOptions {
  backoffMaxMs: number;
  /** Told about drops at most once a second per drain (a log line for people). */
  onDrops: (drops: Drops, status: DrainStatus) => void;
  /** The in-stream notice of drops the drain itself gets before its next messages (Heroku's L10). */
  notice: (drops: Drops) => DrainMessage;
}

const REPORT_EVERY_MS = 1000;

export class DrainSender {
  private delivered = 0;
  private dropped = 0;
  private state: DrainState = 'ok';
  private failures = 0;
  private lastDeliveredAt: string | undefined;
  private lastError: DrainStatus['lastError'];
  private retryAt: number | undefined;
  private pumping = false;
  private wake: (() => void) | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Drops the drain has not been told about yet (in-stream), and those people have not (log line). */
  private unnoticed: Drops | undefined;
  private unreported: Drops | undefined;
  private reportTimer: NodeJS.Timeout | undefined;

  constructor(private readonly buffer: DrainBuffer, private readonly transport: Transport, private readonly options: SenderOptions) {}

  /** Never waits, never throws: the messages are buffered (the oldest dropped if full) and sent later. */
  enqueue(messages: readonly DrainMessage[]): void {
    if (this.state === 'stopped') return;
    let dropped = 0;
    for (const message of messages) dropped += this.buffer.push(message);
    if (dropped) this.countDrops(dropped);
    if (!this.pumping) {
      this.pumping = true;
      setImmediate(() => void this.pump()); // lines of the same tick go in one batch
    }
  }

  status(): DrainStatus {
    return {
      state: this.state, delivered: this.delivered, dropped: this.dropped, backlog: this.buffer.backlog,
      ...(this.transport.connected === undefined ? {} : { connected: this.transport.connected }),
      ...(this.lastDeliveredAt ? { lastDeliveredAt: this.lastDeliveredAt } : {}),
      ...(this.lastError ? { lastError: this.lastError } : {}),
      ...(this.state === 'failing' && this.retryAt ? { retryAt: new Date(this.retryAt).toISOString() } : {}),
    };
  }

  stop(): void {
    this.state = 'stopped';
    clearTimeout(this.retryTimer);
    clearTimeout(this.reportTimer);
    this.wake?.();
    this.transport.close();
  }

  /** A method, not a field test: the state changes while a send is awaited. */
  private stopped(): boolean {
    return this.state === 'stopped';
  }

  private async pump(): Promise<void> {
    try {
      while (!this.stopped() && this.buffer.waiting > 0) {
        const batch = this.buffer.take(this.transport.maxBatchMessages, this.transport.maxBatchBytes);
        const notice = this.unnoticed;
        this.state = 'sending';
        try {
          await this.transport.send(notice ? [this.options.notice(notice), ...batch] : batch);
        } catch (error) {
          this.buffer.settle(false);
          if (this.stopped()) return;
          this.failures++;
          this.lastError = { at: new Date().toISOString(), message: safeMessage(error) };
          this.state = 'failing';
          await this.backOff();
          continue;
        }
        this.buffer.settle(true);
        if (notice === this.unnoticed) this.unnoticed = undefined;
        else if (notice && this.unnoticed) this.unnoticed = { ...this.unnoticed, count: this.unnoticed.count - notice.count };
        this.delivered += batch.length;
        this.lastDeliveredAt = new Date().toISOString();
        this.failures = 0;
        if (!this.stopped()) this.state = 'ok';
      }
    } finally {
      this.pumping = false;
    }
  }

  private backOff(): Promise<void> {
    const delay = backoffMs(this.failures, this.options.backoffMaxMs);
    this.retryAt = Date.now() + delay;
    return new Promise<void>((resolve) => {
      this.wake = resolve;
      this.retryTimer = setTimeout(resolve, delay);
    }).then(() => {
      this.wake = undefined;
      this.retryAt = undefined;
    });
  }

  private countDrops(count: number): void {
    this.dropped += count;
    const now = new Date().toISOString();
    this.unnoticed = { count: (this.unnoticed?.count ?? 0) + count, since: this.unnoticed?.since ?? now };
    this.unreported = { count: (this.unreported?.count ?? 0) + count, since: this.unreported?.since ?? now };
    this.reportTimer ??= setTimeout(() => {
      this.reportTimer = undefined;
      const drops = this.unreported;
      this.unreported = undefined;
      if (drops && !this.stopped()) this.options.onDrops(drops, this.status());
    }, REPORT_EVERY_MS).unref();
  }
}
