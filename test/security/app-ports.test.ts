// Local instances share the host: an app that listens on every address (most do) must still be
// reachable only through the router. A peer host on a veth pair tries the app's port over IPv4 and
// IPv6, and a port outside the apps' range as a control (so a refusal is the rule's, not the path's).
// On the host itself, an app may reach its own port but not its neighbour's; and one app process
// cannot take more memory or processes than SCALARIUM_APP_MEMORY and _PIDS give it (cgroups).
import test from 'ava';
import net from 'node:net';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { authedGitUrl, createAppRepo } from '../helpers/app-repo.ts';
import { createPeerHost, type PeerHost } from '../helpers/netns.ts';
import { getViaRouter, waitForBody } from '../helpers/router-client.ts';

let server: TestServer;
let peer: PeerHost;

test.before(async () => {
  server = await startTestServer({ env: { SCALARIUM_APP_MEMORY: '160M', SCALARIUM_APP_PIDS: '40' } });
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

async function deploy(t: import('ava').ExecutionContext, name: string, fixture: string): Promise<{ port: number; startedAt: string }> {
  const repo = await createAppRepo(fixture);
  t.teardown(() => repo.cleanup());
  t.is((await server.api('POST', '/api/apps', { name })).status, 201);
  const push = await repo.push(authedGitUrl(server.url, name, server.token));
  t.is(push.code, 0, push.output);
  const [proc] = (await server.api('GET', `/api/apps/${name}/ps`)).body as Array<{ port: number; startedAt: string }>;
  return proc!;
}

test('on loopback an app reaches its own port and the router, not its neighbour\'s port', async (t) => {
  const neighbour = await deploy(t, 'neighbour', 'node-hello');
  const nosy = await deploy(t, 'nosy', 'greedy');
  const ask = async (port: number) => (await getViaRouter(server.routerPort, 'nosy.localhost', `/connect?port=${port}`)).body;
  t.is(await ask(neighbour.port), 'refused');
  t.is(await ask(nosy.port), 'connected');
  t.is(await ask(server.routerPort), 'connected');
  // Root (the router, this test) still reaches both.
  t.is(await (await fetch(`http://127.0.0.1:${neighbour.port}/`)).text(), 'hello from v1');
  t.is((await getViaRouter(server.routerPort, 'neighbour.localhost')).body, 'hello from v1');
});

test('an app process is held to SCALARIUM_APP_PIDS and SCALARIUM_APP_MEMORY, is told why it died, and comes back', async (t) => {
  const first = await deploy(t, 'greedy', 'greedy');
  const forked = JSON.parse((await getViaRouter(server.routerPort, 'greedy.localhost', '/fork?n=60')).body) as { started: number; failed: number };
  t.true(forked.failed > 0 && forked.started < 40, JSON.stringify(forked));
  t.regex((await getViaRouter(server.routerPort, 'greedy.localhost')).body, /^greedy on/, 'it survives hitting the process limit');

  await getViaRouter(server.routerPort, 'greedy.localhost', '/hog').catch(() => undefined);
  let logs = '';
  for (let i = 0; i < 100 && !/out of memory/.test(logs); i++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    logs = (await server.api('GET', '/api/apps/greedy/logs?lines=200')).body as string;
  }
  // The Procfile line runs under sh, which reports its killed child as 137.
  t.regex(logs, /process exited with (code 137|signal SIGKILL) \(out of memory: the limit is 160 MiB, SCALARIUM_APP_MEMORY\)/);
  await waitForBody(server.routerPort, 'greedy.localhost', 'greedy on');
  // The restarted process serves on the same port before the agent's report of it reaches the database.
  let again: { startedAt: string; restarts: number } | undefined;
  for (let i = 0; i < 100; i++) {
    [again] = (await server.api('GET', '/api/apps/greedy/ps')).body as Array<{ startedAt: string; restarts: number }>;
    if (again && again.startedAt !== first.startedAt) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  t.not(again!.startedAt, first.startedAt);
  t.true(again!.restarts >= 1);

  const status = await server.api('GET', '/api/status');
  const note = (status.body.notes as Array<{ topic: string; ok: boolean; text: string }>).find((n) => n.topic === 'Resource limits');
  t.true(note?.ok, note?.text);
  t.regex(note!.text, /each app process: memory 160 MiB, 1 CPU, 40 processes; each build: memory 2 GiB/);
});
