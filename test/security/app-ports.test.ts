// Local instances share the host: an app that listens on every address (most do) must still be
// reachable only through the router. A peer host on a veth pair tries the app's port over IPv4 and
// IPv6, and a port outside the apps' range as a control (so a refusal is the rule's, not the path's).
import test from 'ava';
import net from 'node:net';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { authedGitUrl, createAppRepo } from '../helpers/app-repo.ts';
import { createPeerHost, type PeerHost } from '../helpers/netns.ts';

let server: TestServer;
let peer: PeerHost;

test.before(async () => {
  server = await startTestServer();
  peer = await createPeerHost();
});

test.after.always(async () => {
  await peer?.remove();
  await server?.cleanup();
});

test('app ports are in SCALARIUM_APP_PORTS and closed to the network; loopback (the router) still reaches them', async (t) => {
  const repo = await createAppRepo('node-hello');
  t.teardown(() => repo.cleanup());
  t.is((await server.api('POST', '/api/apps', { name: 'walled' })).status, 201);
  const push = await repo.push(authedGitUrl(server.url, 'walled', server.token));
  t.is(push.code, 0, push.output);
  const [proc] = (await server.api('GET', '/api/apps/walled/ps')).body as Array<{ port: number }>;
  t.true(proc!.port >= 20000 && proc!.port <= 29999, `port ${proc!.port} is in the default range`);

  // The app listens on every address (node-hello calls listen(PORT)): loopback answers.
  t.is(await (await fetch(`http://127.0.0.1:${proc!.port}/`)).text(), 'hello from v1');

  // A listener of our own outside the range is reachable from the peer: the path works...
  const control = net.createServer((s) => s.end());
  await new Promise<void>((resolve) => control.listen(0, '::', resolve));
  t.teardown(() => control.close());
  const controlPort = (control.address() as net.AddressInfo).port;
  t.is(await peer.connect(peer.hostV4, controlPort), 'connected');
  t.is(await peer.connect(peer.hostV6, controlPort), 'connected');
  // ...and the app's port is refused on it, over both IP versions.
  t.is(await peer.connect(peer.hostV4, proc!.port), 'refused');
  t.is(await peer.connect(peer.hostV6, proc!.port), 'refused');

  const status = await server.api('GET', '/api/status');
  const note = (status.body.notes as Array<{ topic: string; ok: boolean; text: string }>).find((n) => n.topic === 'App ports');
  t.true(note?.ok, note?.text);
  t.regex(note!.text, /20000-29999 are closed to the network/);
});
