// The wire formats. Syslog drains and logplex bodies carry RFC 5424 messages as Heroku's drains do,
// `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG` with MSGID and SD nil ("-"), each framed
// by octet counting (RFC 6587: `LEN SP FRAME`, no trailing newline). JSON drains get one object per
// line (NDJSON).
import type { DrainMessage } from './message.ts';

/** local7.info, as Heroku's drains send app output. */
const PRIORITY = 190;

/** A header field: printable US-ASCII without spaces, at most `max` long, "-" when empty. */
function field(value: string, max: number): string {
  const printable = value.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return printable || '-';
}

/** One RFC 5424 message; `hostname` is the server's stable name (SCALARIUM_SERVER_ID). */
export function rfc5424(message: DrainMessage, hostname: string): string {
  return `<${PRIORITY}>1 ${message.at} ${field(hostname, 255)} ${field(message.app, 48)} ${field(message.source, 128)} - - ${message.text}`;
}

/** `LEN SP FRAME`, LEN the frame's length in octets. */
export function octetCounted(frame: string): Buffer {
  const body = Buffer.from(frame, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}

export function syslogFrames(messages: DrainMessage[], hostname: string): Buffer {
  return Buffer.concat(messages.map((m) => octetCounted(rfc5424(m, hostname))));
}

/** One JSON object per message; `at` stays the ISO time the line was printed. */
export function jsonLines(messages: DrainMessage[], hostname: string): Buffer {
  return Buffer.from(messages.map((m) => `${JSON.stringify({ at: m.at, app: m.app, source: m.source, host: hostname, line: m.text })}\n`).join(''), 'utf8');
}
