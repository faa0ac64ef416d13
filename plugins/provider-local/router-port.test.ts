// Which port a local cluster's router gets: the default cluster's is SCALARIUM_ROUTER_PORT; every
// other one gets the first free port above it that no other local router keeps, and keeps it.
// Real sockets: the ports just above a port this test holds are held too, so they must be skipped.
import test from 'ava';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chooseRouterPort, PORT_FILE, storedRouterPort, storeRouterPort } from './router-port.ts';

function listen(port: number): Promise<net.Server | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

/** A port and the one above it, both held by this test (as the default router and something else would). */
async function twoHeldPorts(): Promise<{ first: number; close(): Promise<void> }> {
  for (;;) {
    const first = await listen(0);
    const port = (first!.address() as net.AddressInfo).port;
    const second = port < 65000 ? await listen(port + 1) : undefined;
    if (second) {
      return { first: port, close: async () => { await new Promise((r) => first!.close(r)); await new Promise((r) => second.close(r)); } };
    }
    await new Promise((r) => first!.close(r));
  }
}

test('each local cluster\'s router gets a free port of its own above the configured one, and keeps it', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'scalarium-router-port-'));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  const held = await twoHeldPorts();
  t.teardown(() => held.close());
  const choice = (id: string, isDefaultCluster = false) => ({
    dir: path.join(root, id), instancesRoot: root, isDefaultCluster, host: '127.0.0.1', configured: held.first,
  });

  t.is(await chooseRouterPort(choice('local-router-1', true)), held.first, 'the default cluster keeps SCALARIUM_ROUTER_PORT');
  t.false(fs.existsSync(path.join(root, 'local-router-1', PORT_FILE)));

  const staging = await chooseRouterPort(choice('staging-router-1'));
  t.true(staging > held.first + 1, `${staging}: the configured port and the taken one above it are skipped`);
  t.is(storedRouterPort(path.join(root, 'staging-router-1')), staging);

  // Not listening right now (the router is down), but kept: another cluster must not take it.
  const qa = await chooseRouterPort(choice('qa-router-1'));
  t.not(qa, staging);
  t.true(qa > held.first + 1);
  t.is(await chooseRouterPort(choice('staging-router-1')), staging, 'the same port on its next start');
});

test('with SCALARIUM_ROUTER_PORT=0 a router picks its own port, which is kept once reported', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'scalarium-router-port-'));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  const choice = { dir: path.join(root, 'staging-router-1'), instancesRoot: root, isDefaultCluster: false, host: '127.0.0.1', configured: 0 };
  t.is(await chooseRouterPort(choice), 0);
  await storeRouterPort(choice.dir, 41234);
  t.is(await chooseRouterPort(choice), 41234);
  fs.writeFileSync(path.join(choice.dir, PORT_FILE), 'junk');
  t.is(storedRouterPort(choice.dir), undefined);
});
