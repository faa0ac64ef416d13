// The webhook notifier against real HTTP receivers on loopback. 127.0.0.2 plays a host on the
// internet: the test server allows it (SCALARIUM_OUTBOUND_ALLOW=127.0.0.2/32), as the other tests
// of outbound requests do; 127.0.0.1 stays refused. The kind is the one the real plugin registered
// in a real server (test/helpers/harness.ts), or built with that server's policy and a short timeout.
import test from 'ava';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { outboundPolicy, ScalariumError, type AlertNotification, type NotifierKind } from '../../server/plugin-api.ts';
import { createTestScalarium, type TestScalarium } from '../../test/helpers/harness.ts';
import { webhookKind } from './kind.ts';

const INTERNET = '127.0.0.2';

const FIRING: AlertNotification = {
  state: 'firing',
  title: 'FIRING shop: p95_ms 812 ms > 500 ms for 5m',
  text: 'Rule: p95 latency of shop above 500 ms for 5 minutes.\nValue: 812 ms since 2026-12-03T09:12:00.000Z.',
  rule: { id: 7, name: 'slow shop', metric: 'p95_ms', scope: { app: 'shop' } },
  value: 812,
  at: '2026-12-03T09:17:00.000Z',
  url: 'https://scalarium.example.org/alerts/7',
};

interface Received { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }

/** A webhook receiver on `host`; `answer` handles each request once its body is in (or never answers). */
async function receiver(t: import('ava').ExecutionContext, answer: (res: http.ServerResponse) => void, host = INTERNET) {
  const received: Received[] = [];
  let connections = 0;
  let arrived: (r: Received) => void = () => {};
  const next = () => new Promise<Received>((resolve) => (arrived = resolve));
  let waiting = next();
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () => {
      const r = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      received.push(r);
      arrived(r);
      answer(res);
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  t.teardown(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path: string) => `http://${host}:${port}${path}`,
    received,
    connections: () => connections,
    /** The next request to arrive. */
    request: () => waiting.then((r) => ((waiting = next()), r)),
  };
}

const ok = (res: http.ServerResponse) => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');

let s: TestScalarium;
let webhook: NotifierKind;

test.before(async () => {
  s = await createTestScalarium({ env: { SCALARIUM_OUTBOUND_ALLOW: `${INTERNET}/32` } });
  const kind = s.scalarium.hooks.notifierKinds.call([]).find((k) => k.kind === 'webhook');
  if (!kind) throw new Error('the notify-webhook plugin registered no webhook kind');
  webhook = kind;
});
test.after.always(() => s?.close());

/** The kind with the test server's policy and a short timeout, for receivers that never answer. */
const impatient = (timeoutMs: number) => webhookKind({ policy: () => outboundPolicy(s.scalarium), timeoutMs });

async function refusal(t: import('ava').ExecutionContext, input: Record<string, unknown>): Promise<ScalariumError> {
  const error = await t.throwsAsync(webhook.settings(input), { instanceOf: ScalariumError });
  t.is(error?.status, 400);
  return error!;
}

test('the plugin registers the webhook kind with its flags', (t) => {
  t.is(webhook.help, '--webhook URL [--format slack|json]');
});

test('a slack webhook gets {"text": title and text} as JSON; describe shows no path', async (t) => {
  const hook = await receiver(t, ok);
  const settings = await webhook.settings({ webhook: hook.url('/services/T000/B000/s3cr3t#frag') });
  t.deepEqual(settings, { url: hook.url('/services/T000/B000/s3cr3t'), format: 'slack' });
  const shown = webhook.describe(settings);
  t.is(shown, `${hook.url('/')}… (slack)`);
  t.false(shown.includes('s3cr3t'));

  await webhook.send(settings, FIRING, AbortSignal.timeout(5000));
  const [request] = hook.received;
  t.is(request.method, 'POST');
  t.is(request.url, '/services/T000/B000/s3cr3t');
  t.is(request.headers['content-type'], 'application/json');
  t.deepEqual(JSON.parse(request.body), {
    // Slack reads < > & as markup: they arrive as entities; the alert's page is added as a last line.
    text: 'FIRING shop: p95_ms 812 ms &gt; 500 ms for 5m\nRule: p95 latency of shop above 500 ms for 5 minutes.\n'
      + 'Value: 812 ms since 2026-12-03T09:12:00.000Z.\nhttps://scalarium.example.org/alerts/7',
  });
});

test('a json webhook gets the whole notification', async (t) => {
  const hook = await receiver(t, ok);
  const settings = await webhook.settings({ webhook: hook.url('/alerts?token=abc'), format: 'json' });
  t.is(webhook.describe(settings), `${hook.url('/')}… (json)`);
  const resolved: AlertNotification = { ...FIRING, state: 'resolved', title: 'RESOLVED shop: p95_ms 120 ms', value: 120 };
  await webhook.send(settings, resolved, AbortSignal.timeout(5000));
  t.is(hook.received[0].url, '/alerts?token=abc');
  t.deepEqual(JSON.parse(hook.received[0].body), resolved);
});

test('a webhook that answers 500 (or redirects) fails the send with the status, not the path', async (t) => {
  const failing = await receiver(t, (res) => res.writeHead(500).end('internal secret detail'));
  const settings = await webhook.settings({ webhook: failing.url('/hook/s3cr3t') });
  const error = await t.throwsAsync(webhook.send(settings, FIRING, AbortSignal.timeout(5000)));
  t.is(error?.message, `webhook ${failing.url('/')}… answered HTTP 500`);

  const moved = await receiver(t, (res) => res.writeHead(301, { location: 'http://127.0.0.1/elsewhere' }).end());
  const redirected = await t.throwsAsync(webhook.send(await webhook.settings({ webhook: moved.url('/hook') }), FIRING, AbortSignal.timeout(5000)));
  t.regex(redirected?.message ?? '', /answered HTTP 301$/);
  t.is(moved.received.length, 1, 'the redirect is not followed');
});

test('a webhook that never answers fails the send at the timeout', async (t) => {
  const silent = await receiver(t, () => {});
  const kind = impatient(300);
  const started = Date.now();
  const error = await t.throwsAsync(kind.send(await kind.settings({ webhook: silent.url('/hook/s3cr3t') }), FIRING, new AbortController().signal));
  const took = Date.now() - started;
  t.is(error?.message, `webhook ${silent.url('/')}… did not answer within 0.3 s`);
  t.true(took >= 300 && took < 3000, `took ${took} ms`);
  t.is(silent.received.length, 1, 'the request did arrive');
});

test('the caller\'s signal ends a send at once, with its reason', async (t) => {
  const silent = await receiver(t, () => {});
  const settings = await webhook.settings({ webhook: silent.url('/hook') });
  const caller = new AbortController();
  const sending = webhook.send(settings, FIRING, caller.signal);
  await silent.request();
  const reason = new Error('alerting stops');
  caller.abort(reason);
  t.is(await t.throwsAsync(sending), reason);

  const before = new AbortController();
  before.abort(reason);
  t.is(await t.throwsAsync(webhook.send(settings, FIRING, before.signal)), reason, 'an aborted signal sends nothing');
  t.is(silent.received.length, 1);
});

test('settings refuse what is not an http(s) URL, credentials in it, and unknown formats', async (t) => {
  t.like(await refusal(t, {}), { code: 'notify-webhook.invalid_webhook', message: '--webhook needs a URL.' });
  t.like(await refusal(t, { webhook: 'hooks.example.org/x' }), { message: '--webhook is not a valid URL.' });
  t.like(await refusal(t, { webhook: 'ftp://hooks.example.org/x' }), { message: '--webhook must be an http or https URL, not ftp:.' });
  t.like(await refusal(t, { webhook: 'https://u:p@hooks.example.org/x' }), { message: '--webhook must not contain a user name or password (user:password@).' });
  const format = await refusal(t, { webhook: 'https://hooks.example.org/x', format: 'xml' });
  t.like(format, { code: 'notify-webhook.invalid_format', message: '--format "xml" is not a webhook format.' });
  t.regex(format.hint ?? '', /--format slack .* --format json/);
});

test('settings refuse what the outbound policy blocks: loopback, private ranges, names resolving there, this server', async (t) => {
  const local = await receiver(t, ok, '127.0.0.1');
  const loopback = await refusal(t, { webhook: local.url('/hook/s3cr3t') });
  t.is(loopback.code, 'notify-webhook.refused_webhook');
  t.is(loopback.message, `This server does not send to ${local.url('/')}…: 127.0.0.1 is a loopback address (an operator can allow a range with SCALARIUM_OUTBOUND_ALLOW).`);
  t.regex(loopback.hint ?? '', /SCALARIUM_OUTBOUND_ALLOW/);
  t.regex((await refusal(t, { webhook: 'http://10.1.2.3/hook' })).message, /10\.1\.2\.3 is a private address/);
  t.regex((await refusal(t, { webhook: 'http://169.254.169.254/latest' })).message, /link-local/);
  t.regex((await refusal(t, { webhook: 'http://[::1]:9/hook' })).message, /::1 is a loopback address/);
  t.regex((await refusal(t, { webhook: 'http://localhost/hook' })).message, /localhost resolves to \S+, which is a loopback address/);
  // 127.0.0.2 is allowed, but the server's own port is never a webhook on any local address.
  const self = await refusal(t, { webhook: `http://${INTERNET}:${new URL(s.url).port}/api/apps` });
  t.regex(self.message, /is this Scalarium server's or router's own endpoint/);
  t.is(local.connections(), 0, 'nothing was connected to');
});

test('send checks the address again: a name that now resolves to loopback is refused before connecting', async (t) => {
  // As if localhost had resolved to a public address when the notifier was added (DNS rebinding).
  const local = await receiver(t, ok, '127.0.0.1');
  const port = new URL(local.url('/')).port;
  const renamed = await t.throwsAsync(webhook.send({ url: `http://localhost:${port}/hook/s3cr3t`, format: 'slack' }, FIRING, AbortSignal.timeout(5000)));
  t.regex(renamed?.message ?? '', new RegExp(`^refused to send to webhook http://localhost:${port}/…: localhost resolves to \\S+, which is a loopback address`));
  const literal = await t.throwsAsync(webhook.send({ url: local.url('/hook'), format: 'json' }, FIRING, AbortSignal.timeout(5000)));
  t.regex(literal?.message ?? '', /127\.0\.0\.1 is a loopback address/);
  t.is(local.connections(), 0, 'nothing was connected to');
});
