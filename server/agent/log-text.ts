// What an app prints becomes log lines that can be trusted to be one line each: bytes are read as
// UTF-8, and what is not printable text is written as an escape — invalid bytes and C0 controls as
// `\xNN` (NUL, CR, ESC…), C1 controls and the Unicode line separators as `\uNNNN` — so that no app
// can forge another log line, a terminal sequence or a second entry. A tab stays a tab. A line
// longer than MAX_LINE_BYTES (of UTF-8, after escaping) is split there, as Heroku splits at 10 KB.

export const MAX_LINE_BYTES = 10_240;

const hex2 = (n: number) => n.toString(16).padStart(2, '0');
const hex4 = (n: number) => n.toString(16).padStart(4, '0');

/** A code point that must not appear as itself in a log line (except \t), escaped; undefined: keep it. */
function escapeCodePoint(cp: number): string | undefined {
  if (cp === 0x09) return undefined;
  if (cp < 0x20 || cp === 0x7f) return `\\x${hex2(cp)}`;
  if ((cp >= 0x80 && cp <= 0x9f) || cp === 0x2028 || cp === 0x2029) return `\\u${hex4(cp)}`;
  return undefined;
}

/** Length of the UTF-8 sequence at `i`: n, 0 when the byte cannot start one there, -1 when the buffer ends inside it. */
function sequenceLength(buf: Buffer, i: number): number {
  const b = buf[i]!;
  const n = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
  if (!n) return 0;
  for (let k = 1; k < n; k++) {
    if (i + k >= buf.length) return -1;
    const c = buf[i + k]!;
    // The second byte's range excludes overlong forms, surrogates and code points past U+10FFFF.
    const lo = k === 1 && b === 0xe0 ? 0xa0 : k === 1 && b === 0xf0 ? 0x90 : 0x80;
    const hi = k === 1 && b === 0xed ? 0x9f : k === 1 && b === 0xf4 ? 0x8f : 0xbf;
    if (c < lo || c > hi) return 0;
  }
  return n;
}

/**
 * Turns a byte stream (an app's stdout or stderr) into log lines: `write` chunks as they come (a
 * character or a CRLF cut between chunks is put together again), `end` when the stream ends.
 */
export class OutputLines {
  private text = '';
  private bytes = 0;
  /** The start of a UTF-8 sequence, or a CR, at the end of the last chunk. */
  private carry: Buffer | undefined;

  constructor(
    private readonly emit: (line: string) => void,
    private readonly maxBytes = MAX_LINE_BYTES,
    /** Text of one entry (from the wire): a newline in it is escaped too, not a line end. */
    private readonly escapeNewlines = false,
  ) {}

  write(chunk: Buffer): void {
    const buf = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = undefined;
    let run = 0; // start of the current run of printable ASCII
    let i = 0;
    while (i < buf.length) {
      const b = buf[i]!;
      if ((b >= 0x20 && b < 0x7f) || b === 0x09) {
        i++;
        continue;
      }
      if (run < i) this.addAscii(buf.toString('latin1', run, i));
      if (b === 0x0a && !this.escapeNewlines) {
        this.flushLine();
        i++;
      } else if (b === 0x0d && i + 1 >= buf.length && !this.escapeNewlines) {
        this.carry = buf.subarray(i); // CRLF or a lone CR: the next chunk tells
        return;
      } else if (b === 0x0d && buf[i + 1] === 0x0a && !this.escapeNewlines) {
        i++; // a CRLF ends the line like LF
      } else if (b < 0x80) {
        this.addAtom(escapeCodePoint(b)!, 4);
        i++;
      } else {
        const n = sequenceLength(buf, i);
        if (n === -1) {
          this.carry = buf.subarray(i);
          return;
        }
        if (n === 0) {
          this.addAtom(`\\x${hex2(b)}`, 4);
          i++;
        } else {
          const char = buf.toString('utf8', i, i + n);
          const escaped = escapeCodePoint(char.codePointAt(0)!);
          this.addAtom(escaped ?? char, escaped ? escaped.length : n);
          i += n;
        }
      }
      run = i;
    }
    if (run < i) this.addAscii(buf.toString('latin1', run, i));
  }

  /** The stream ended: what was left is a line of its own (a cut sequence at the very end is invalid bytes). */
  end(): void {
    const left = this.carry;
    this.carry = undefined;
    if (left) for (const b of left) this.addAtom(b === 0x0d ? '\\x0d' : `\\x${hex2(b)}`, 4);
    if (this.text) this.flushLine();
  }

  private addAscii(text: string): void {
    while (text) {
      const room = this.maxBytes - this.bytes;
      if (text.length <= room) {
        this.text += text;
        this.bytes += text.length;
        return;
      }
      this.text += text.slice(0, room);
      this.bytes = this.maxBytes;
      this.flushLine();
      text = text.slice(room);
    }
  }

  /** A character or an escape: never cut in two. */
  private addAtom(text: string, bytes: number): void {
    if (this.bytes + bytes > this.maxBytes) this.flushLine();
    this.text += text;
    this.bytes += bytes;
  }

  private flushLine(): void {
    const line = this.text;
    this.text = '';
    this.bytes = 0;
    this.emit(line);
  }
}

/** What logTextLines must rewrite: controls, the line separators, C1 and surrogates (a lone one becomes U+FFFD). */
const NEEDS_REWRITE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\ud800-\udfff]/;

/** The same rules for text that is already a string (from the wire): escaped and split into lines of at most `maxBytes`. */
export function logTextLines(text: string, maxBytes = MAX_LINE_BYTES): string[] {
  // Most lines are plain text that fits: they are returned as they are (this runs for every line).
  if (!NEEDS_REWRITE.test(text) && Buffer.byteLength(text) <= maxBytes) return [text];
  const lines: string[] = [];
  const splitter = new OutputLines((line) => lines.push(line), maxBytes, true);
  // A lone surrogate (JSON can carry one) becomes U+FFFD here, never invalid UTF-8.
  splitter.write(Buffer.from(text, 'utf8'));
  splitter.end();
  return lines.length ? lines : [''];
}
