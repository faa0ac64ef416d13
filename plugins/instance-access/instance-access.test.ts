// A user granted SSH on the cluster gets an account with their key on its instances (sandboxed
// accounts on local instances); revoking the grant or removing the key removes it.
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { startTestServer, type TestServer } from '../../test/helpers/server.ts';

let server: TestServer;
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl admin@laptop';

test.before(async () => {
  server = await startTestServer();
});
test.after.always(async () => {
  await server?.cleanup();
});

async function waitFor(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('ssh grants and keys follow onto the instances through configure', async (t) => {
  const accounts = path.join(server.dataDir, 'instances', 'local-app-1', 'accounts');
  const authorized = path.join(accounts, 'home', 'admin', '.ssh', 'authorized_keys');
  const sudoers = path.join(accounts, 'sudoers.d', 'scalarium-admin');

  const added = await server.api('POST', '/api/keys', { publicKey: KEY });
  t.is(added.status, 201, JSON.stringify(added.body));
  t.regex(added.body.fingerprint, /^SHA256:/);
  t.false(fs.existsSync(authorized), 'no grant yet, no account');

  const granted = await server.api('POST', '/api/access', { user: 'admin', cluster: 'local', role: 'manager', ssh: true, sudo: true });
  t.is(granted.status, 201, JSON.stringify(granted.body));
  await waitFor(() => fs.existsSync(authorized), 'authorized_keys');
  t.is(fs.readFileSync(authorized, 'utf8'), `${KEY.split(' ').slice(0, 2).join(' ')}\n`);
  t.is(fs.statSync(authorized).mode & 0o777, 0o600);
  t.regex(fs.readFileSync(sudoers, 'utf8'), /^scalarium-admin ALL=\(ALL\) NOPASSWD:ALL$/m);

  // ssh without sudo: the sudoers fragment goes.
  t.is((await server.api('POST', '/api/access', { user: 'admin', cluster: 'local', role: 'manager', ssh: true })).status, 201);
  await waitFor(() => !fs.existsSync(sudoers), 'sudo removed');
  t.true(fs.existsSync(authorized));

  t.is((await server.api('POST', '/api/access/revoke', { user: 'admin', cluster: 'local' })).status, 204);
  await waitFor(() => !fs.existsSync(path.join(accounts, 'home', 'admin')), 'account removed');
  t.false(fs.existsSync(authorized), 'the key is gone with the grant');
  t.deepEqual(fs.readdirSync(path.join(accounts, 'home')), []);
});

test('ssh and sudo are cluster grants, and keys are validated', async (t) => {
  t.is((await server.api('POST', '/api/apps', { name: 'keyed' })).status, 201);
  const onApp = await server.api('POST', '/api/access', { user: 'admin', app: 'keyed', role: 'viewer', ssh: true });
  t.is(onApp.status, 400);
  const privateKey = await server.api('POST', '/api/keys', { publicKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----' });
  t.is(privateKey.status, 400);
  t.regex(privateKey.body.error.message, /private key/);
  const garbage = await server.api('POST', '/api/keys', { publicKey: 'ssh-ed25519 not-base64!' });
  t.is(garbage.status, 400);
});
