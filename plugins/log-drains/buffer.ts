// A drain's bounded buffer. It holds at most `maxMessages` messages and `maxBytes` bytes, the batch
// being sent included, so a drain that is slow or down costs a known amount of memory. When a new
// message does not fit, the OLDEST waiting messages are dropped to make room: when a drain comes
// back, the most recent lines (those of the incident) are the ones it gets. Dropped messages are
// counted by the caller.
import type { DrainMessage } from './message.ts';

export class DrainBuffer {
  private items: DrainMessage[] = [];
  private head = 0;
  private waitingBytes = 0;
  private inFlight: DrainMessage[] = [];
  private inFlightBytes = 0;

  constructor(readonly maxMessages: number, readonly maxBytes: number) {}

  /** Messages waiting to be sent. */
  get waiting(): number {
    return this.items.length - this.head;
  }

  /** Waiting and being sent: what the drain has not got yet. */
  get backlog(): number {
    return this.waiting + this.inFlight.length;
  }

  get bytes(): number {
    return this.waitingBytes + this.inFlightBytes;
  }

  /** Adds a message at the end; answers how many messages were dropped (the oldest, or this one). */
  push(message: DrainMessage): number {
    let dropped = 0;
    while (this.waiting > 0 && (this.backlog + 1 > this.maxMessages || this.bytes + message.bytes > this.maxBytes)) {
      this.shift();
      dropped++;
    }
    // Only the batch being sent is left and the message does not fit beside it.
    if (this.backlog + 1 > this.maxMessages || this.bytes + message.bytes > this.maxBytes) return dropped + 1;
    this.items.push(message);
    this.waitingBytes += message.bytes;
    return dropped;
  }

  /** The next batch (at least one message if any wait), held as in flight until settle(). */
  take(maxCount: number, maxBytes: number): DrainMessage[] {
    if (this.inFlight.length) throw new Error('a batch is in flight already');
    const batch: DrainMessage[] = [];
    let bytes = 0;
    while (this.waiting > 0 && batch.length < maxCount) {
      const next = this.items[this.head]!;
      if (batch.length && bytes + next.bytes > maxBytes) break;
      batch.push(this.shift());
      bytes += next.bytes;
    }
    this.inFlight = batch;
    this.inFlightBytes = bytes;
    return batch;
  }

  /** The batch in flight arrived (it goes), or did not (it goes back to the front, to be sent again). */
  settle(delivered: boolean): void {
    if (!delivered && this.inFlight.length) {
      this.items = [...this.inFlight, ...this.items.slice(this.head)];
      this.head = 0;
      this.waitingBytes += this.inFlightBytes;
    }
    this.inFlight = [];
    this.inFlightBytes = 0;
  }

  private shift(): DrainMessage {
    const message = this.items[this.head]!;
    this.items[this.head] = undefined as unknown as DrainMessage; // let it be collected
    this.head++;
    this.waitingBytes -= message.bytes;
    // Compact now and then: amortised O(1) per message.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return message;
  }
}
