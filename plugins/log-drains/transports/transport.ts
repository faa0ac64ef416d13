// What a drain's sender needs from a protocol: send one batch, say whether it is connected, close.
import type { OutboundPolicy } from '../../../server/plugin-api.ts';
import type { DrainMessage } from '../message.ts';

/** What every transport is made with: the HOSTNAME its messages carry, its timeout, extra CAs, the outbound policy. */
export interface TransportOptions {
  hostname: string;
  timeoutMs: number;
  ca?: string[];
  policy: () => OutboundPolicy;
}

export interface Transport {
  /** How big a batch may be: messages, and bytes of MSG text. */
  readonly maxBatchMessages: number;
  readonly maxBatchBytes: number;
  /**
   * Resolves once the batch arrived as far as the protocol can tell (an https 2xx; for syslog,
   * the kernel took the bytes: TCP syslog has no acknowledgement). Rejects with an Error whose
   * message may be shown: it names no credentials.
   */
  send(batch: DrainMessage[]): Promise<void>;
  /** A connection is open (stream transports); undefined when the protocol has none to speak of. */
  readonly connected?: boolean;
  close(): void;
}

/** A message fit to show from any error: one line, printable, short. */
export function safeMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/[^\x20-\x7e\u00a0-\uffff]/g, ' ').slice(0, 300) || 'failed';
}
