// The pure parts, in-process: the bounded buffer (drop oldest, the batch in flight counted), splitting
// long lines on character boundaries, the RFC 5424 frame with octet counting, backoff and redaction.
import test from 'ava';
import { DrainBuffer } from './buffer.ts';
import { messagesOf, splitUtf8 } from './message.ts';
import { octetCounted, rfc5424 } from './frames.ts';
import { backoffMs } from './backoff.ts';
import { redactUrl } from './redact.ts';
import { OctetCountedParser, parse5424 } from './test-receivers.ts';

const message = (text: string) => ({ app: 'shop', source: 'web.1', at: '2026-12-03T09:12:00.000Z', text, bytes: Buffer.byteLength(text) });

test('the buffer drops the oldest waiting messages when full, counts the batch in flight, and takes a failed batch back first', (t) => {
  const buffer = new DrainBuffer(3, 1000);
  t.deepEqual([1, 2, 3].map((i) => buffer.push(message(`m${i}`))), [0, 0, 0]);
  t.is(buffer.push(message('m4')), 1, 'm1 dropped');
  const batch = buffer.take(2, 1000);
  t.deepEqual(batch.map((m) => m.text), ['m2', 'm3']);
  t.is(buffer.backlog, 3);
  t.is(buffer.push(message('m5')), 1, 'm4 dropped: the batch in flight is not');
  buffer.settle(false);
  t.deepEqual(buffer.take(10, 1000).map((m) => m.text), ['m2', 'm3', 'm5'], 'the failed batch comes first again, in order');
  t.is(buffer.push(message('m6')), 1, 'all in flight: the new one does not fit');
  buffer.settle(true);
  t.is(buffer.backlog, 0);
  const bytes = new DrainBuffer(100, 10);
  bytes.push(message('12345'));
  bytes.push(message('67890'));
  t.is(bytes.push(message('abc')), 1, 'bounded in bytes too');
  t.is(bytes.bytes, 8);
});

test('a long line is split into messages of at most the limit, never inside a character; controls are made safe', (t) => {
  const text = 'a€😀'.repeat(1000);
  const pieces = splitUtf8(text, 100);
  t.is(pieces.map((p) => p.text).join(''), text);
  t.true(pieces.every((p) => p.bytes <= 100 && p.bytes === Buffer.byteLength(p.text) && !p.text.includes('\ufffd')));
  const [cleaned] = messagesOf({ app: 'shop', source: 'web.1', line: 'a\r\nb\u0000c \ud800 \u001b[1m', at: 'yesterday' });
  t.is(cleaned!.text, 'a  b c \ufffd \u001b[1m');
  t.regex(cleaned!.at, /^\d{4}-\d\d-\d\dT/, 'a time that is not ISO is replaced');
  t.is(messagesOf({ app: 'shop', source: 'web.1', line: 'x'.repeat(1_000_000), at: '2026-12-03T09:12:00Z' }).length, Math.ceil(1_000_000 / 7680));
});

test('frames are RFC 5424 with nil MSGID and SD, octet-counted in bytes', (t) => {
  const frame = rfc5424(message('héllo wörld'), 'scalarium-1');
  t.is(frame, '<190>1 2026-12-03T09:12:00.000Z scalarium-1 shop web.1 - - héllo wörld');
  t.like(parse5424(frame), { pri: 190, hostname: 'scalarium-1', app: 'shop', procid: 'web.1', msg: 'héllo wörld' });
  t.is(rfc5424({ ...message('x'), source: 'bad source\u0007' }, ''), '<190>1 2026-12-03T09:12:00.000Z - shop bad_source_ - - x');
  const wire = Buffer.concat([octetCounted(frame), octetCounted('<190>1 - - - - - - two')]);
  t.true(wire.toString().startsWith(`${Buffer.byteLength(frame)} <190>1`));
  // The receiver side of the tests parses what arrives in pieces.
  const parser = new OctetCountedParser();
  t.deepEqual([...parser.push(wire.subarray(0, 7)), ...parser.push(wire.subarray(7))], [frame, '<190>1 - - - - - - two']);
});

test('backoff doubles from 250 ms up to the maximum, with jitter between half and all of it', (t) => {
  t.deepEqual([1, 2, 3, 4, 10].map((n) => backoffMs(n, 60_000, () => 1)), [250, 500, 1000, 2000, 60_000]);
  t.is(backoffMs(3, 60_000, () => 0), 500);
  t.is(backoffMs(100, 200, () => 1), 200);
});

test('redaction hides user names, passwords, the path and query values', (t) => {
  t.is(redactUrl('https://u:p@h.example/x?token=abc&v'), 'https://***:***@h.example/…?token=***&v=***');
  t.is(redactUrl('https://logs-01.loggly.com/bulk/0123-TOKEN/tag/bulk/'), 'https://logs-01.loggly.com/…');
  t.is(redactUrl('https://h.example/'), 'https://h.example/');
  t.is(redactUrl('syslog+tls://logs.example.org:6514'), 'syslog+tls://logs.example.org:6514');
  t.is(redactUrl('::not a url'), '***');
});
