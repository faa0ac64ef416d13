// An alert's whole way out, through the built-in plugins: a failed deploy fires the built-in
// deploy_failed alert, and the real webhook notifier POSTs Slack-compatible JSON to a real
// receiver on loopback while the real email notifier sends a mail through a real SMTP server (the
// smtp-server package); the next deploy that goes live resolves it, told once more to each.
process.env.SCALARIUM_ALERT_INTERVAL = '0.2';

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { SMTPServer } from 'smtp-server';
import { until } from '../../cli/test-support.ts';
import { builtinPlugins } from '../../plugins/builtin.ts';
import type { Plugin } from '../../server/plugin-api.ts';
import { createTestScalarium, type TestScalarium } from '../helpers/harness.ts';

/** Loopback, but not 127.0.0.1: the server's outbound policy lets the test allow exactly this address. */
const RECEIVER_HOST = '127.0.0.2';

let failDeploys = false;
const failingDeploys: Plugin = {
  name: 'test-failing-deploys',
  apply(scalarium) {
    scalarium.hooks.deploy.tapPromise('test', async () => {
      if (failDeploys) throw new Error('the migration step exited with 1');
    });
  },
};

const posts: Array<{ type: string; body: { text?: string } }> = [];
const mails: Array<{ to: string[]; raw: string }> = [];
let s: TestScalarium;
let receiver: http.Server;
let smtp: SMTPServer;

test.before(async () => {
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk)).on('end', () => {
      posts.push({ type: req.headers['content-type'] ?? '', body: JSON.parse(body) as { text?: string } });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, RECEIVER_HOST, resolve));
  smtp = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'], logger: false, closeTimeout: 100,
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8'))).on('end', () => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, RECEIVER_HOST, resolve));
  const smtpPort = (smtp.server.address() as AddressInfo).port;
  s = await createTestScalarium({
    plugins: [...builtinPlugins(), failingDeploys],
    env: {
      SCALARIUM_OUTBOUND_ALLOW: `${RECEIVER_HOST}/32`,
      SCALARIUM_SMTP_URL: `smtp://${RECEIVER_HOST}:${smtpPort}?tls=optional`,
      SCALARIUM_SMTP_FROM: 'Scalarium <alerts@example.org>',
    },
  });
  await s.api('POST', '/api/apps', { name: 'shop' });
});

test.after.always(async () => {
  await s?.close();
  await new Promise((resolve) => receiver?.close(resolve));
  await new Promise((resolve) => smtp?.close(() => resolve(undefined)));
});

test('a failed deploy reaches Slack-style JSON and a mail; the next good deploy resolves it on both', async (t) => {
  const { port } = receiver.address() as AddressInfo;
  const hook = await s.api('POST', '/api/notifiers', { name: 'slack', webhook: `http://${RECEIVER_HOST}:${port}/services/T000/B000`, default: true });
  t.is(hook.status, 201, JSON.stringify(hook.body));
  t.false(JSON.stringify(hook.body).includes('T000/B000'), 'the webhook\'s path is not shown');
  const mail = await s.api('POST', '/api/notifiers', { name: 'ops', email: 'ops@example.org', default: true });
  t.is(mail.status, 201, JSON.stringify(mail.body));

  failDeploys = true;
  await t.throwsAsync(s.deployFakeRelease('shop', { processTypes: { web: 'node server.js' } }));
  failDeploys = false;
  await until('the webhook and the mail', () => posts.length >= 1 && mails.length >= 1);
  t.regex(posts[0]!.type, /^application\/json/);
  t.regex(posts[0]!.body.text!, /FIRING app shop: deploy failed[\s\S]*the migration step exited with 1/);
  t.deepEqual(mails[0]!.to, ['ops@example.org']);
  t.regex(mails[0]!.raw, /Subject: FIRING app shop: deploy failed/);

  await s.deployFakeRelease('shop', { processTypes: { web: 'node server.js' } });
  await until('the resolution on both', () => posts.length >= 2 && mails.length >= 2);
  t.regex(posts[1]!.body.text!, /RESOLVED app shop: deploy failed/);
  t.regex(mails[1]!.raw, /Subject: RESOLVED app shop: deploy failed/);
  const [resolved, fired] = (await s.api('GET', '/api/apps/shop/alerts/history')).body as Array<{ state: string; deliveries: Array<{ notifier: string; status: string }> }>;
  t.is(resolved!.state, 'resolved');
  t.is(fired!.state, 'firing');
  t.deepEqual(fired!.deliveries.map((d) => `${d.notifier}:${d.status}`).sort(), ['ops:sent', 'slack:sent']);
  t.is(posts.length, 2, 'one message per transition');
});
