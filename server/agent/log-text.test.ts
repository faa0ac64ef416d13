// What an app prints, as bytes, becomes trustworthy log lines: valid UTF-8 kept (also when a
// character is cut between two reads), invalid bytes and controls escaped, long lines split.
import test from 'ava';
import { MAX_LINE_BYTES, OutputLines, logTextLines } from './log-text.ts';

function linesOf(...chunks: Buffer[]): string[] {
  const lines: string[] = [];
  const splitter = new OutputLines((line) => lines.push(line));
  for (const chunk of chunks) splitter.write(chunk);
  splitter.end();
  return lines;
}

test('lines end at LF or CRLF; a lone CR, NUL, ESC and DEL are escaped; tabs stay', (t) => {
  t.deepEqual(linesOf(Buffer.from('one\ntwo\r\nthree\rcr\u0000nul\u001b[31mred\u007f\ttab')), ['one', 'two', 'three\\x0dcr\\x00nul\\x1b[31mred\\x7f\ttab']);
  t.deepEqual(linesOf(Buffer.from('a\r'), Buffer.from('\nb\r')), ['a', 'b\\x0d'], 'a CRLF cut between reads is one line end; a CR at the very end is escaped');
  t.deepEqual(linesOf(Buffer.from('\n\n')), ['', ''], 'empty lines are lines');
});

test('UTF-8 is kept, also cut between reads; invalid bytes become \\xNN; C1 controls and line separators \\uNNNN', (t) => {
  const euro = Buffer.from('€ ok'); // e2 82 ac
  t.deepEqual(linesOf(euro.subarray(0, 1), euro.subarray(1, 2), euro.subarray(2)), ['€ ok']);
  t.deepEqual(linesOf(Buffer.from([0x61, 0xff, 0xfe, 0x62, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0xe2, 0x82])), ['a\\xff\\xfeb\\xc3(\\xed\\xa0\\x80\\xe2\\x82']);
  t.deepEqual(linesOf(Buffer.from('x\u0085y\u2028z\u2029')), ['x\\u0085y\\u2028z\\u2029']);
  t.deepEqual(linesOf(Buffer.from('日本 😀')), ['日本 😀']);
});

test('a long line is split at MAX_LINE_BYTES of its escaped UTF-8, never inside a character or an escape', (t) => {
  const lines = linesOf(Buffer.from('x'.repeat(MAX_LINE_BYTES * 2 + 5)));
  t.deepEqual(lines.map((l) => l.length), [MAX_LINE_BYTES, MAX_LINE_BYTES, 5]);
  const mixed = linesOf(Buffer.concat([Buffer.from('y'.repeat(MAX_LINE_BYTES - 2)), Buffer.from([0xff]), Buffer.from('é'.repeat(10))]));
  t.deepEqual(mixed, ['y'.repeat(MAX_LINE_BYTES - 2), `\\xff${'é'.repeat(10)}`]);
  t.true(mixed.every((l) => Buffer.byteLength(l) <= MAX_LINE_BYTES));
  const megabyte = linesOf(Buffer.alloc(1024 * 1024, 0x7a), Buffer.from('\nnext\n'));
  t.is(megabyte.length, Math.ceil((1024 * 1024) / MAX_LINE_BYTES) + 1);
  t.is(megabyte.at(-1), 'next');
});

test('text from the wire: newlines escaped too, a lone surrogate replaced, split the same way', (t) => {
  t.deepEqual(logTextLines('a\nb\r\nc\u001b'), ['a\\x0ab\\x0d\\x0ac\\x1b']);
  t.deepEqual(logTextLines('bad \ud800 surrogate'), ['bad \ufffd surrogate']);
  t.deepEqual(logTextLines(''), ['']);
  t.deepEqual(logTextLines('z'.repeat(MAX_LINE_BYTES + 1)).map((l) => l.length), [MAX_LINE_BYTES, 1]);
});
