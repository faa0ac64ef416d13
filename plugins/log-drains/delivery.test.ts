// Drains on real receivers on loopback (test-receivers.ts), through the real server in-process: a
// syslog receiver over TCP and one over TLS that parse RFC 5424 octet-counted frames, HTTPS
// receivers of logplex and JSON batches. Beside the healthy ones: a drain that accepts the
// connection and never reads, one that answers 500 to every POST, and one that is down for a while
// and then returns. The healthy drains get every line, the returning one what its buffer held, the
// drops are counted and said in a log line; hooks.log never waits for any of them.
import test from 'ava';
import { createTestScalarium, type TestScalarium } from '../../test/helpers/harness.ts';
import { until } from '../../cli/test-support.ts';
import { httpsReceiver, OctetCountedParser, syslogReceiver, testCertificate, type Syslog5424 } from './test-receivers.ts';

const BUFFER_MESSAGES = 500;
const MAX_MESSAGE_BYTES = 7680;

/** What drains carry of a line, restated: NUL, CR and LF as spaces, lone surrogates as U+FFFD. */
const clean = (line: string) => line.replace(/[\r\n\u0000]/g, ' ').replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');

/** The app's own lines among what a receiver got (not Scalarium's notices). */
const appLines = (messages: Syslog5424[]) => messages.filter((m) => m.procid !== 'scalarium');

/** Every line arrived, in order, split into messages of at most 7680 bytes, never inside a character. */
function assertEveryLine(t: import('ava').ExecutionContext, messages: Syslog5424[], lines: string[], what: string): void {
  const got = appLines(messages);
  t.is(got.map((m) => m.msg).join(''), lines.map(clean).join(''), `${what}: every line, in order`);
  t.true(got.every((m) => Buffer.byteLength(m.msg) <= MAX_MESSAGE_BYTES), `${what}: no message over ${MAX_MESSAGE_BYTES} bytes`);
  t.true(got.length > lines.length, `${what}: the long lines came in several messages`);
}

interface Drain { token: string; url: string; state: string; delivered: number; dropped: number; backlog: number; connected?: boolean; lastError?: { message: string } }

test('slow, failing and returning drains stall nobody; the others get every line; drops are counted and logged', async (t) => {
  const cert = await testCertificate();
  t.teardown(() => cert.remove());
  const healthySyslog = await syslogReceiver();
  const returning = await syslogReceiver({ tls: { key: cert.key, cert: cert.cert } });
  const neverReads = await syslogReceiver({ read: false });
  const failing = await httpsReceiver(cert);
  failing.status = 500;
  const logplex = await httpsReceiver(cert);
  const json = await httpsReceiver(cert);
  const clusterSyslog = await syslogReceiver();
  const receivers = [healthySyslog, returning, neverReads, failing, logplex, json, clusterSyslog];
  t.teardown(() => Promise.all(receivers.map((r) => r.stop())).then(() => undefined));

  const s: TestScalarium = await createTestScalarium({
    env: {
      SCALARIUM_OUTBOUND_ALLOW: '127.0.0.2/32', SCALARIUM_DRAINS_CA_FILE: cert.caFile, SCALARIUM_DRAINS_BUFFER_MESSAGES: String(BUFFER_MESSAGES),
      SCALARIUM_DRAINS_BUFFER_BYTES: String(2 * 1024 * 1024), SCALARIUM_DRAINS_BACKOFF_MAX_MS: '200', SCALARIUM_DRAINS_TIMEOUT_MS: '60000',
    },
  });
  t.teardown(() => s.close());
  t.is((await s.api('POST', '/api/apps', { name: 'shop' })).status, 201);
  const add = async (url: string, format?: string, path = '/api/apps/shop/drains') => {
    const res = await s.api('POST', path, { url, ...(format ? { format } : {}) });
    t.is(res.status, 201, JSON.stringify(res.body));
    return res.body as Drain;
  };
  const drains = {
    healthySyslog: await add(healthySyslog.url), returning: await add(returning.url), neverReads: await add(neverReads.url),
    failing: await add(failing.url), logplex: await add(logplex.url), json: await add(json.url, 'json'),
    cluster: await add(clusterSyslog.url, undefined, '/api/clusters/local/drains'),
  };
  const status = async (drain: Drain, path = '/api/apps/shop/drains'): Promise<Drain> => ((await s.api('GET', path)).body as Drain[]).find((d) => d.token === drain.token)!;

  const sent: string[] = [];
  let messagesSent = 0;
  const healthy = [healthySyslog, logplex, json, clusterSyslog];
  /** One round of app output; resolves once every healthy drain has all of it (no waiting on the others). */
  const round = async (lines: string[]) => {
    for (const line of lines) {
      sent.push(line);
      messagesSent += Math.max(1, Math.ceil(Buffer.byteLength(clean(line)) / (MAX_MESSAGE_BYTES - 3)));
      s.scalarium.hooks.log.call({ app: 'shop', source: 'web.1', line, at: new Date().toISOString() });
    }
    const expected = sent.map(clean).join('');
    await Promise.all(healthy.map((r) => until(`round ${sent.length} at a healthy drain`, () => appLines(r.messages).map((m) => m.msg).join('').length >= expected.length, 20_000)));
  };
  const small = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag} line ${i} \u001b[31mred\u001b[0m é€😀`);
  // A 1 MB line of multibyte characters: split on character boundaries only.
  const big = (i: number) => `big ${i} ${'abcdéfgh€ij😀'.repeat(62_500)}`.slice(0, 1_000_000);

  // All up: every drain connects; the one that never reads takes nothing once its socket is full.
  await round([...small(20, 'first'), 'invalid \ud800 utf-8 \ufffd and \r\n\u0000 controls', big(0)]);
  await until('the returning drain got the first round', () => returning.messages.length >= appLines(healthySyslog.messages).length);
  for (let i = 1; (await status(drains.neverReads)).dropped === 0; i++) {
    if (i > 40) return t.fail('the drain that never reads never overflowed');
    await round([big(i), ...small(10, `fill ${i}`)]);
  }

  // The returning drain goes down; once its sender knows, lines go on and fill its buffer.
  const deliveredBefore = appLines(returning.messages).length;
  await returning.stop();
  await until('the sender noticed', async () => (await status(drains.returning)).connected === false);
  const downFrom = sent.length;
  for (let i = 0; i < 8; i++) await round(small(100, `down ${i}`));
  const down = await status(drains.returning);
  t.is(down.backlog, BUFFER_MESSAGES, 'a full buffer, no more');
  t.is(down.dropped, 800 - BUFFER_MESSAGES, 'the oldest that did not fit are dropped and counted');
  t.regex(down.lastError?.message ?? '', /ECONNREFUSED/);

  // It comes back: it gets what its buffer held, after a notice of what was dropped.
  await returning.start();
  await returning.until(deliveredBefore + BUFFER_MESSAGES + 1, 'the buffer after the return');
  await round(small(5, 'after'));
  await until('the returning drain got the last round', () => appLines(returning.messages).length >= deliveredBefore + BUFFER_MESSAGES + 5);
  const notices = returning.messages.filter((m) => m.procid === 'scalarium' && m.msg.startsWith('Error L10'));
  t.true(notices.some((m) => /^Error L10 \(output buffer overflow\): 300 messages dropped since \d{4}-/.test(m.msg)), JSON.stringify(notices.map((m) => m.msg)));
  const afterReturn = appLines(returning.messages).slice(deliveredBefore).map((m) => m.msg);
  const downLines = sent.slice(downFrom, downFrom + 800).map(clean);
  t.is(afterReturn.length, BUFFER_MESSAGES + 5);
  t.true(afterReturn.slice(0, BUFFER_MESSAGES).every((m, i, all) => downLines.includes(m) && (i === 0 || downLines.indexOf(all[i - 1]!) < downLines.indexOf(m))), 'what its buffer held, in order');
  t.deepEqual(afterReturn.slice(-5), small(5, 'after').map(clean));
  t.deepEqual(appLines(returning.messages).slice(0, deliveredBefore).map((m) => m.msg).join(''), sent.slice(0, downFrom).map(clean).join(''), 'before it went down: every line');

  // The healthy drains got every line, the 1 MB ones split; in their formats.
  assertEveryLine(t, healthySyslog.messages, sent, 'syslog');
  assertEveryLine(t, clusterSyslog.messages, sent, 'the cluster\'s syslog drain');
  assertEveryLine(t, logplex.messages, sent, 'https logplex');
  assertEveryLine(t, json.messages, sent, 'https json');
  const first = healthySyslog.messages[0]!;
  t.like(first, { pri: 190, version: 1, hostname: s.scalarium.config.serverId, app: 'shop', procid: 'web.1', msgid: '-', sd: '-' });
  t.regex(first.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  t.is(first.msg, 'first line 0 \u001b[31mred\u001b[0m é€😀', 'ANSI escapes and UTF-8 as printed');
  t.true(healthySyslog.messages.some((m) => m.msg === 'invalid \ufffd utf-8 \ufffd and     controls'), 'valid UTF-8, one line one message');
  for (const batch of logplex.batches) {
    t.is(batch.headers['content-type'], 'application/logplex-1');
    t.is(batch.headers['logplex-drain-token'], drains.logplex.token);
    t.regex(String(batch.headers['logplex-frame-id']), /^[0-9a-f-]{36}$/);
    t.is(Number(batch.headers['logplex-msg-count']), new OctetCountedParser().push(Buffer.from(batch.body)).length, 'the count of frames in the body');
  }
  t.is(new Set(logplex.batches.map((b) => b.headers['logplex-frame-id'])).size, logplex.batches.length, 'a frame id per batch');
  t.true(json.batches.every((b) => b.headers['content-type'] === 'application/x-ndjson'));
  t.like(json.lines[0], { app: 'shop', source: 'web.1', host: s.scalarium.config.serverId, line: 'first line 0 \u001b[31mred\u001b[0m é€😀' });

  // What is known of the others: nothing delivered by the failing one, all accounted for.
  // Between its retries it is "failing" (during one, "sending"): read it there.
  const failed = await until('the failing drain between its tries', async () => {
    const now = await status(drains.failing);
    return now.state === 'failing' ? now : undefined;
  });
  t.like(failed, { state: 'failing', delivered: 0, backlog: BUFFER_MESSAGES, dropped: messagesSent - BUFFER_MESSAGES });
  t.is(failed.lastError?.message, 'the drain answered HTTP 500');
  const stuck = await status(drains.neverReads);
  t.is(stuck.delivered + stuck.dropped + stuck.backlog, messagesSent, 'every message delivered, dropped or waiting');
  t.true(stuck.dropped > 0);
  for (const drain of [drains.healthySyslog, drains.logplex, drains.json]) t.like(await status(drain), { dropped: 0, backlog: 0 });
  t.like(await status(drains.cluster, '/api/clusters/local/drains'), { dropped: 0, backlog: 0 });

  // The drops are said: in the app's log and the server's log (not in other drains: they would fill them).
  const logs = (await s.api('GET', '/api/apps/shop/logs?lines=1500')).body as string;
  t.regex(logs, new RegExp(`log drain ${drains.failing.token.replaceAll('.', '\\.')} \\(https://127\\.0\\.0\\.2:${failing.port}/…\\) dropped \\d+ messages since .*: its buffer was full \\(last error: the drain answered HTTP 500\\)`));
  t.false(logs.includes('/logs'), 'the drain\'s path (where services put their tokens) is not in the app\'s log');
  t.regex(logs, new RegExp(`log drain ${drains.neverReads.token.replaceAll('.', '\\.')} \\([^)]*\\) dropped`));
  t.false(healthySyslog.messages.some((m) => m.procid === 'scalarium'), 'no notice of other drains\' drops');
  t.false(failing.batches.length > 0, 'the failing drain accepted nothing');
  t.regex(s.output(), /log-drains: app shop: log drain d\.[0-9a-f-]+ \(syslog:\/\/127\.0\.0\.2:\d+\) dropped \d+ messages/);
});

test('TLS drains verify the receiver\'s certificate: one no authority vouches for is refused, and said why', async (t) => {
  const cert = await testCertificate();
  t.teardown(() => cert.remove());
  const receiver = await syslogReceiver({ tls: { key: cert.key, cert: cert.cert } });
  const https = await httpsReceiver(cert);
  t.teardown(() => Promise.all([receiver.stop(), https.stop()]).then(() => undefined));
  // No SCALARIUM_DRAINS_CA_FILE: the system's authorities only.
  const s = await createTestScalarium({ env: { SCALARIUM_OUTBOUND_ALLOW: '127.0.0.2/32', SCALARIUM_DRAINS_BACKOFF_MAX_MS: '200' } });
  t.teardown(() => s.close());
  t.is((await s.api('POST', '/api/apps', { name: 'shop' })).status, 201);
  for (const url of [receiver.url, https.url]) t.is((await s.api('POST', '/api/apps/shop/drains', { url })).status, 201);
  s.scalarium.hooks.log.call({ app: 'shop', source: 'web.1', line: 'secret business', at: new Date().toISOString() });
  // Between its retries a drain is "failing"; during one it is "sending" again: wait for the former.
  const drains = await until('both failed', async () => {
    const list = (await s.api('GET', '/api/apps/shop/drains')).body as Drain[];
    return list.every((d) => d.lastError && d.state === 'failing') ? list : undefined;
  });
  for (const drain of drains) {
    t.like(drain, { state: 'failing', delivered: 0, backlog: 1 });
    t.regex(drain.lastError!.message, /self-signed certificate/);
  }
  t.is(receiver.messages.length + https.messages.length, 0, 'nothing was sent to them');
});
