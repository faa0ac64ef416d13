// A log line as drains carry it: made safe once, split into messages of at most MAX_MESSAGE_BYTES
// (a 1 MB line becomes ~140 messages, each one a frame of its own), and shared by every drain it
// goes to. Counters, buffers and batches count these messages.
import type { LogLine } from '../../server/plugin-api.ts';

/** The MSG part of one message, in UTF-8 bytes: with its header a syslog frame stays under 8 KiB. */
export const MAX_MESSAGE_BYTES = 7680;

export interface DrainMessage {
  app: string;
  /** Who said it: a process (web.1), the router, or scalarium. */
  source: string;
  /** An ISO time. */
  at: string;
  text: string;
  /** UTF-8 length of `text`. */
  bytes: number;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * One event, one message: NUL, CR and LF become spaces (as in the app's log file); a lone
 * surrogate (what was invalid UTF-8) becomes U+FFFD, so what is sent is always valid UTF-8. Other
 * characters, ANSI escapes included, pass as the app printed them: JSON escapes them, and a
 * syslog MSG is octets the receiver frames by count, not by line.
 */
export function cleanText(text: string): string {
  return text.replace(/[\r\n\u0000]/g, ' ').replace(LONE_SURROGATE, '\ufffd');
}


/** UTF-8 length of one code point. */
function utf8Length(codePoint: number): number {
  return codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
}

/** `text` in pieces of at most `max` UTF-8 bytes, never inside a character. */
export function splitUtf8(text: string, max = MAX_MESSAGE_BYTES): Array<{ text: string; bytes: number }> {
  const total = Buffer.byteLength(text);
  if (total <= max) return [{ text, bytes: total }];
  const pieces: Array<{ text: string; bytes: number }> = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < text.length;) {
    const codePoint = text.codePointAt(i)!;
    const length = utf8Length(codePoint);
    const units = codePoint > 0xffff ? 2 : 1;
    if (bytes + length > max) {
      pieces.push({ text: text.slice(start, i), bytes });
      start = i;
      bytes = 0;
    }
    bytes += length;
    i += units;
  }
  pieces.push({ text: text.slice(start), bytes });
  return pieces;
}

const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)$/;

/** RFC 5424 wants at most 6 digits of fraction: a time that is not one is replaced by now. */
function timeOf(at: string): string {
  return typeof at === 'string' && ISO_TIME.test(at) ? at : new Date().toISOString();
}

export function messagesOf(line: LogLine): DrainMessage[] {
  const at = timeOf(line.at);
  return splitUtf8(cleanText(String(line.line))).map(({ text, bytes }) => ({ app: line.app, source: line.source, at, text, bytes }));
}
