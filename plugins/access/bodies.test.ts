// The access API's body schemas (bodies.ts) through parseBody, in-process: typed values for good
// bodies, the exact code and sentence for bad ones (test/security/bad-input.test.ts sends the same
// over HTTP).
import test from 'ava';
import crypto from 'node:crypto';
import type { z } from 'zod';
import { ScalariumError, parseBody } from '../../server/plugin-api.ts';
import { grantBody, keyBody, newUserBody, revokeBody, scopeOf, tokenBody } from './bodies.ts';

function refusal(schema: z.ZodType, body: unknown): string {
  try {
    parseBody(schema, body);
  } catch (error) {
    if (error instanceof ScalariumError) return `${error.code}: ${error.message}`;
    throw error;
  }
  throw new Error(`${JSON.stringify(body)} was accepted`);
}

const SCOPE = 'invalid_body: Invalid request: give exactly one of "app" or "cluster".';

test('POST /api/users: names, emails, and only true makes an admin', (t) => {
  t.deepEqual(parseBody(newUserBody, { name: 'alice', email: 'alice@example.org', admin: true }), { name: 'alice', email: 'alice@example.org', admin: true });
  t.deepEqual(parseBody(newUserBody, { name: 'bob', email: '' }), { name: 'bob', email: '' });
  for (const admin of ['true', 1, { yes: true }]) t.false(parseBody(newUserBody, { name: 'eve', admin }).admin, JSON.stringify(admin));
  t.is(refusal(newUserBody, { name: 42 }), 'invalid_name: "42" is not a valid user name.');
  for (const email of ['a@b', '"><script>@x.org', 'a\n@b.c', `${'x'.repeat(300)}@x.org`, 42]) {
    t.is(refusal(newUserBody, { name: 'mallory', email }), 'invalid_body: Invalid request: email must look like name@example.org.', JSON.stringify(email));
  }
});

test('POST /api/access and /revoke: one scope, a role, ssh and sudo on clusters only', (t) => {
  const grant = parseBody(grantBody, { user: 'bob', cluster: 'local', role: 'manager', ssh: true, sudo: true });
  t.deepEqual(grant, { user: 'bob', cluster: 'local', role: 'manager', ssh: true, sudo: true });
  t.deepEqual(scopeOf(grant), { kind: 'cluster', name: 'local' });
  t.deepEqual(scopeOf(parseBody(revokeBody, { user: 'bob', app: 'shop' })), { kind: 'app', name: 'shop' });
  t.is(refusal(grantBody, { user: 'bob', app: 'shop', cluster: 'local', role: 'viewer' }), SCOPE);
  t.is(refusal(revokeBody, { user: 'bob' }), SCOPE);
  t.is(refusal(grantBody, { user: 'bob', app: 'shop', role: 'viewer', ssh: true }), 'invalid_body: Invalid request: ssh and sudo are granted on a cluster (its instances).');
  t.is(refusal(grantBody, { user: 'bob', cluster: 'local', role: 'viewer', sudo: true }), 'invalid_body: Invalid request: sudo needs ssh.');
  for (const role of ['admin', 'Viewer', '', null, ['viewer'], 3]) {
    t.regex(refusal(grantBody, { user: 'bob', app: 'shop', role }), /^invalid_role: ".*" is not a role\.$/, JSON.stringify(role));
  }
  t.is(refusal(grantBody, { user: 'bob', app: 'shop', role: 'owner' }), 'invalid_role: "owner" is not a role.');
  t.is(refusal(grantBody, { user: 'ALICE', app: 'shop', role: 'viewer' }), 'invalid_name: "ALICE" is not a valid user name.');
  t.is(refusal(grantBody, { user: 'bob', app: '../shop', role: 'viewer' }), 'invalid_name: "../shop" is not a valid app name.');
});

test('POST /api/tokens: scope, role and expiry are optional; expiries become dates', (t) => {
  t.deepEqual(parseBody(tokenBody, { name: 'laptop' }), { name: 'laptop' });
  const ci = parseBody(tokenBody, { name: 'ci', app: 'shop', role: 'deployer', expires: '90d' });
  t.like(ci, { name: 'ci', app: 'shop', role: 'deployer' });
  t.true(Math.abs(Date.parse(ci.expires ?? '') - (Date.now() + 90 * 86_400_000)) < 60_000, ci.expires);
  t.is(parseBody(tokenBody, { name: 'ci', role: null, expires: '' }).expires, undefined);
  t.is(refusal(tokenBody, { name: 'ci', app: 'shop', cluster: 'local' }), SCOPE);
  for (const expires of ['0d', '-1d', '99999d', '2000-01-01', 'soon']) {
    t.is(refusal(tokenBody, { name: 'ci', expires }), `invalid_expiry: ${JSON.stringify(expires)} is not an expiry.`);
  }
  t.is(refusal(tokenBody, { name: 'ci', expires: 90 }), 'invalid_expiry: "90" is not an expiry.');
  t.is(refusal(tokenBody, { name: 'ci', role: 'root' }), 'invalid_role: "root" is not a role.');
  t.is(refusal(tokenBody, { name: '../initial' }), 'invalid_name: "../initial" is not a valid token name.');
});

test('POST /api/keys: a public key line becomes the key as stored; anything else is invalid_key', (t) => {
  const { publicKey } = crypto.generateKeyPairSync('ed25519');
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const field = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  const blob = Buffer.concat([field(Buffer.from('ssh-ed25519')), field(der.subarray(der.length - 32))]).toString('base64');
  const key = parseBody(keyBody, { publicKey: `ssh-ed25519 ${blob} alice@laptop` }).publicKey;
  t.like(key, { type: 'ssh-ed25519', blob, comment: 'alice@laptop' });
  t.regex(key.fingerprint, /^SHA256:/);
  t.is(refusal(keyBody, { publicKey: 42 }), 'invalid_key: Not an SSH public key: expected the key as text.');
  t.is(refusal(keyBody, {}), 'invalid_key: Not an SSH public key: expected the key as text.');
  t.is(refusal(keyBody, { publicKey: '-----BEGIN OPENSSH PRIVATE KEY-----' }), 'invalid_key: Not an SSH public key: that is a private key — never share it; give the .pub file.');
  t.is(refusal(keyBody, { publicKey: 'ssh-ed25519 !!!!' }), 'invalid_key: Not an SSH public key: the key data is not base64.');
});
