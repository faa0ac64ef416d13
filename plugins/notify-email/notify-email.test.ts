// The email notifier against a real SMTP server on loopback (the smtp-server package: the one
// nodemailer's own tests use), and against one that takes the connection and never greets. The
// kind is the one the real plugin registered in a real server configured through its environment
// (test/helpers/harness.ts), or built from such an environment with short timeouts.
import test from 'ava';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { ScalariumError, type AlertNotification, type NotifierKind } from '../../server/plugin-api.ts';
import { createTestScalarium, type TestScalarium } from '../../test/helpers/harness.ts';
import { emailKind } from './kind.ts';
import { smtpSetupFromEnv } from './smtp-config.ts';

const USER = 'alerts';
const PASSWORD = 's3cr3t p@ss:/';
const FROM = 'Scalarium <alerts@example.org>';

const FIRING: AlertNotification = {
  state: 'firing',
  title: 'FIRING shop: p95_ms 812 ms > 500 ms for 5m',
  text: 'Rule: p95 latency of shop above 500 ms for 5 minutes.\nValue: 812 ms since 2026-12-03T09:12:00.000Z.',
  rule: { id: 7, name: 'slow shop', metric: 'p95_ms', scope: { app: 'shop' } },
  value: 812,
  at: '2026-12-03T09:17:00.000Z',
  url: 'https://scalarium.example.org/alerts/7',
};

interface Mail { from: string; to: string[]; user: string | undefined; headers: string; body: string }

/** A real SMTP server on 127.0.0.1 that keeps what it receives; it wants USER/PASSWORD. */
async function smtpSink(options: SMTPServerOptions = {}) {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true, // loopback only
    closeTimeout: 100,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === USER && auth.password === PASSWORD) callback(null, { user: USER });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk)).on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const split = raw.indexOf('\r\n\r\n');
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          user: session.user as string | undefined,
          headers: raw.slice(0, split).replace(/\r\n[ \t]+/g, ' '), // unfolded
          body: raw.slice(split + 4),
        });
        callback();
      });
    },
    ...options,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return { port, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const header = (mail: Mail, name: string) => new RegExp(`^${name}: (.*)$`, 'mi').exec(mail.headers)?.[1];
const smtpUrl = (port: number, query = '') => `smtp://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}${query}`;

let sink: Awaited<ReturnType<typeof smtpSink>>;
let s: TestScalarium;
let email: NotifierKind;

test.before(async () => {
  sink = await smtpSink();
  s = await createTestScalarium({ env: { SCALARIUM_SMTP_URL: smtpUrl(sink.port), SCALARIUM_SMTP_FROM: FROM } });
  const kind = s.scalarium.hooks.notifierKinds.call([]).find((k) => k.kind === 'email');
  if (!kind) throw new Error('the notify-email plugin registered no email kind');
  email = kind;
});
test.after.always(async () => {
  await s?.close();
  await sink?.close();
});

const QUICK = { connectMs: 1000, greetingMs: 300, socketMs: 1000, totalMs: 5000 };

test('the plugin registers the email kind with its flag', (t) => {
  t.is(email.help, '--email ADDRESS[,ADDRESS…]');
});

test('an alert arrives as a mail: from, to, subject = title, body = text and the alert\'s page', async (t) => {
  const settings = await email.settings({ email: ' ops@example.org, Oncall@Example.org,ops@example.org ' });
  t.deepEqual(settings, { to: 'ops@example.org, Oncall@example.org' }, 'trimmed, domains in lower case, without the repeated address');
  t.is(email.describe(settings), 'ops@example.org, Oncall@example.org');

  await email.send(settings, FIRING, AbortSignal.timeout(10_000));
  const mail = sink.mails.at(-1)!;
  t.is(mail.user, USER, 'logged in with the server\'s credentials');
  t.is(mail.from, 'alerts@example.org');
  t.deepEqual(mail.to, ['ops@example.org', 'Oncall@example.org']);
  t.is(header(mail, 'From'), FROM);
  t.is(header(mail, 'To'), 'ops@example.org, Oncall@example.org');
  t.is(header(mail, 'Subject'), FIRING.title);
  t.is(header(mail, 'Auto-Submitted'), 'auto-generated');
  t.is(header(mail, 'Content-Type'), 'text/plain; charset=utf-8');
  t.is(mail.body.replace(/\r\n/g, '\n'), `${FIRING.text}\n\n${FIRING.url}\n`);
});

test('settings check the addresses and say how to give several', async (t) => {
  const refused = async (input: Record<string, unknown>) => {
    const error = await t.throwsAsync(email.settings(input), { instanceOf: ScalariumError });
    t.is(error?.code, 'notify-email.invalid_email');
    t.is(error?.status, 400);
    t.regex(error?.hint ?? '', /separated by commas/);
    return error?.message;
  };
  t.is(await refused({}), '--email needs an address.');
  t.is(await refused({ email: ' , ' }), '--email needs an address.');
  t.is(await refused({ email: 'ops@example.org; dev@example.org' }), '--email "ops@example.org; dev@example.org" is not an email address.');
  t.is(await refused({ email: 'Ops <ops@example.org>' }), '--email "Ops <ops@example.org>" is not an email address.');
  t.is(await refused({ email: 'ops@example.org\r\nBcc: all@example.org' }), '--email "ops@example.org\\r\\nBcc: all@example.org" is not an email address.');
  t.is(await refused({ email: 'ops@localhost' }), '--email "ops@localhost" is not an email address.');
  t.is(await refused({ email: Array.from({ length: 21 }, (_, i) => `u${i}@example.org`).join(',') }), '--email has 21 addresses, more than 20.');
});

test('without SCALARIUM_SMTP_URL (or _FROM) settings refuse and say what to set', async (t) => {
  for (const env of [{}, { SCALARIUM_SMTP_FROM: FROM }, { SCALARIUM_SMTP_URL: 'smtp://mail.example.org' }]) {
    const kind = emailKind({ smtp: smtpSetupFromEnv(env) });
    const error = await t.throwsAsync(kind.settings({ email: 'ops@example.org' }), { instanceOf: ScalariumError });
    t.is(error?.code, 'notify-email.smtp_not_configured');
    t.regex(error?.hint ?? '', /SCALARIUM_SMTP_URL \(e\.g\. smtp:\/\/user:pass@mail\.example\.org:587.*SCALARIUM_SMTP_FROM/);
    await t.throwsAsync(kind.send({ to: 'ops@example.org' }, FIRING, AbortSignal.timeout(1000)), { instanceOf: ScalariumError });
  }
  t.is(
    (await t.throwsAsync(emailKind({ smtp: smtpSetupFromEnv({}) }).settings({ email: 'ops@example.org' })))?.message,
    'This server cannot send email: SCALARIUM_SMTP_URL and SCALARIUM_SMTP_FROM are not set.',
  );
});

test('a wrong SCALARIUM_SMTP_URL or _FROM stops the start, and the message never shows the password', (t) => {
  const wrong = (env: NodeJS.ProcessEnv) => t.throws(() => smtpSetupFromEnv({ SCALARIUM_SMTP_FROM: FROM, ...env }))?.message ?? '';
  for (const url of ['mail.example.org', 'http://u:hunter2@mail.example.org', 'smtp://u:hunter2@mail.example.org/x', 'smtp://u:hunter2@mail.example.org?x=1', 'smtp://u:%zz@mail.example.org']) {
    const message = wrong({ SCALARIUM_SMTP_URL: url });
    t.regex(message, /^SCALARIUM_SMTP_URL .*: use smtp:\/\/\[user:pass@\]host\[:port\]/, url);
    t.false(message.includes('hunter2'), url);
  }
  t.regex(wrong({ SCALARIUM_SMTP_URL: 'smtp://mail.example.org', SCALARIUM_SMTP_FROM: 'alerts' }), /^SCALARIUM_SMTP_FROM must be an address/);
  t.like(smtpSetupFromEnv({ SCALARIUM_SMTP_URL: 'smtps://u:p@mail.example.org', SCALARIUM_SMTP_FROM: FROM }).config, { port: 465, secure: true, requireTls: false });
  t.like(smtpSetupFromEnv({ SCALARIUM_SMTP_URL: 'smtp://u:p@mail.example.org', SCALARIUM_SMTP_FROM: FROM }).config, { port: 587, secure: false, requireTls: true });
  t.like(smtpSetupFromEnv({ SCALARIUM_SMTP_URL: 'smtp://localhost:25', SCALARIUM_SMTP_FROM: FROM }).config, { port: 25, requireTls: false, auth: undefined });
});

test('a password is not sent to a server that offers no STARTTLS when TLS is required', async (t) => {
  const kind = emailKind({ smtp: smtpSetupFromEnv({ SCALARIUM_SMTP_URL: smtpUrl(sink.port, '?tls=required'), SCALARIUM_SMTP_FROM: FROM }), timeouts: QUICK });
  const before = sink.mails.length;
  const error = await t.throwsAsync(kind.send({ to: 'ops@example.org' }, FIRING, AbortSignal.timeout(10_000)));
  t.regex(error?.message ?? '', new RegExp(`^could not send email to ops@example.org through 127\\.0\\.0\\.1:${sink.port}: .*STARTTLS`, 'i'));
  t.false(error?.message.includes(PASSWORD));
  t.is(sink.mails.length, before);
});

test('a wrong password fails the send with the server\'s answer, not the password', async (t) => {
  const url = `smtp://${USER}:wrong-one@127.0.0.1:${sink.port}`;
  const kind = emailKind({ smtp: smtpSetupFromEnv({ SCALARIUM_SMTP_URL: url, SCALARIUM_SMTP_FROM: FROM }), timeouts: QUICK });
  const error = await t.throwsAsync(kind.send({ to: 'ops@example.org' }, FIRING, AbortSignal.timeout(10_000)));
  t.regex(error?.message ?? '', /^could not send email to ops@example.org through 127\.0\.0\.1:\d+: Invalid login/);
  t.false(error?.message.includes('wrong-one'));
});

/** A server that takes connections and never says a word. */
async function mute(t: import('ava').ExecutionContext) {
  const sockets = new Set<net.Socket>();
  let connected: () => void = () => {};
  let hungUp: () => void = () => {};
  const first = new Promise<void>((resolve) => (connected = resolve));
  const ended = new Promise<void>((resolve) => (hungUp = resolve));
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('end', hungUp); // the client closed its side
    connected();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => {
    for (const socket of sockets) socket.destroy();
    server.close(() => resolve());
  }));
  const { port } = server.address() as AddressInfo;
  return { port, connected: first, hungUp: ended };
}

test('a mail server that never greets fails the send at the greeting timeout', async (t) => {
  const silent = await mute(t);
  const kind = emailKind({ smtp: smtpSetupFromEnv({ SCALARIUM_SMTP_URL: smtpUrl(silent.port), SCALARIUM_SMTP_FROM: FROM }), timeouts: QUICK });
  const started = Date.now();
  const error = await t.throwsAsync(kind.send({ to: 'ops@example.org' }, FIRING, new AbortController().signal));
  const took = Date.now() - started;
  t.regex(error?.message ?? '', new RegExp(`^could not send email to ops@example.org through 127\\.0\\.0\\.1:${silent.port}: Greeting never received`));
  t.true(took >= QUICK.greetingMs && took < 3000, `took ${took} ms`);
});

test('the caller\'s signal ends a send at once, with its reason', async (t) => {
  const silent = await mute(t);
  const patient = { connectMs: 60_000, greetingMs: 60_000, socketMs: 60_000, totalMs: 60_000 };
  const kind = emailKind({ smtp: smtpSetupFromEnv({ SCALARIUM_SMTP_URL: smtpUrl(silent.port), SCALARIUM_SMTP_FROM: FROM }), timeouts: patient });
  const caller = new AbortController();
  const sending = kind.send({ to: 'ops@example.org' }, FIRING, caller.signal);
  await silent.connected;
  const reason = new Error('alerting stops');
  caller.abort(reason);
  t.is(await t.throwsAsync(sending), reason);
  await silent.hungUp; // the connection does not linger until a timeout
  t.pass();
});
