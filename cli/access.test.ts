// Tests of the access-control commands: users, access, tokens, keys, audit, against a real server
// (test/helpers/harness.ts). They check that --json passes the API's JSON through, the human tables,
// the usage errors, and — through the API — that each command did what it says.
import test, { type ExecutionContext } from 'ava';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createToken, findUserByName } from '../server/db/identity.ts';
import type { TestScalarium } from '../test/helpers/harness.ts';
import { cli, execFileAsync, loggedIn, must, sandbox, sharedServer, UNKNOWN_TOKEN, withoutDates } from './test-support.ts';

const PUBLIC_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice@laptop';
const RSA_KEY = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDQ alice@old-laptop';
const ADMIN_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH6kNGFu2LWQJ4kzfYtO5mwJmg8oRWIjGT0Wr3Mr8l7Y admin@laptop';
const PRIVATE_KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----\n';

interface Key { fingerprint: string; type: string; comment: string | null }

/** An API token of a user, as they would make one for themselves. */
async function tokenOf(server: TestScalarium, user: string, name = 'laptop'): Promise<string> {
  const found = await findUserByName(server.scalarium.db, user);
  if (!found) throw new Error(`no user ${user}`);
  return createToken(server.scalarium.db, found.id, { name });
}

/**
 * Made through the API: apps shop and blog; alice (invited) and bob (disabled); alice deployer on
 * shop and viewer on blog, bob manager of the local cluster with SSH and sudo; the admin's token
 * "ci" and SSH key; and, last in the audit log, a config change by the admin and one alice was
 * denied. Returns alice's token.
 */
async function seedAccess(server: TestScalarium): Promise<string> {
  await must(server, 201, 'POST', '/api/apps', { name: 'shop' });
  await must(server, 201, 'POST', '/api/apps', { name: 'blog' });
  await must(server, 201, 'POST', '/api/users', { name: 'alice', email: 'alice@example.org' });
  await must(server, 201, 'POST', '/api/users', { name: 'bob', email: 'bob@example.org' });
  await must(server, 200, 'POST', '/api/users/bob/disable');
  await must(server, 201, 'POST', '/api/access', { user: 'bob', cluster: 'local', role: 'manager', ssh: true, sudo: true });
  await must(server, 201, 'POST', '/api/access', { user: 'alice', app: 'shop', role: 'deployer' });
  await must(server, 201, 'POST', '/api/access', { user: 'alice', app: 'blog', role: 'viewer' });
  await must(server, 201, 'POST', '/api/tokens', { name: 'ci', app: 'shop', role: 'deployer', expires: '90d' });
  await must(server, 201, 'POST', '/api/keys', { publicKey: ADMIN_KEY });
  await must(server, 200, 'PATCH', '/api/apps/shop/config', { A: '1' });
  const alice = await tokenOf(server, 'alice');
  const denied = await server.api('PATCH', '/api/apps/blog/config', { A: '1' }, alice);
  if (denied.status !== 403) throw new Error(`a viewer changed config: ${denied.status}`);
  return alice;
}

/** The world of seedAccess on a server of the test's own, for tests that change it. */
async function accessWorld(t: ExecutionContext) {
  const api = await loggedIn(t);
  return { ...api, alice: await seedAccess(api.server) };
}

/** The same world, shared by the tests that only read it. */
const shared = sharedServer(async (server) => void (await seedAccess(server)));
const readOnly = async (t: ExecutionContext) => loggedIn(t, { server: await shared() });

test('--json prints the raw API JSON of users, access, tokens, keys and audit', async (t) => {
  const api = await readOnly(t);
  const cases: [string[], string][] = [
    [['users', '--json'], '/api/users'],
    [['access', '--json'], '/api/access'],
    [['access', '--user', 'alice', '--json'], '/api/access?user=alice'],
    [['tokens', '--json'], '/api/tokens'],
    [['keys', '--json'], '/api/keys'],
    [['audit', '--json'], '/api/audit'],
  ];
  for (const [args, path] of cases) {
    const result = await cli(args, { env: api.env, cwd: api.cwd });
    t.is(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    t.deepEqual(JSON.parse(result.stdout), await must(api.server, 200, 'GET', path), args.join(' '));
    t.is(result.stderr, '', args.join(' '));
  }
  // --user is sent as the filter: only alice's two grants
  const alice = JSON.parse((await cli(['access', '--user', 'alice', '--json'], { env: api.env, cwd: api.cwd })).stdout);
  t.deepEqual(alice.map((g: { user: string; scope: { name: string } }) => `${g.user} ${g.scope.name}`).sort(), ['alice blog', 'alice shop']);
});

test('human tables: users, access, tokens, keys, audit', async (t) => {
  const api = await readOnly(t);
  const opts = { env: api.env, cwd: api.cwd };

  // the admin has not chosen a password yet either: its first-start invite is pending
  t.is(withoutDates((await cli(['users'], opts)).stdout), [
    'NAME   EMAIL              ADMIN  STATUS    CREATED',
    'admin  -                  yes    invited   YYYY-MM-DD hh:mm:ss UTC',
    'alice  alice@example.org  -      invited   YYYY-MM-DD hh:mm:ss UTC',
    'bob    bob@example.org    -      disabled  YYYY-MM-DD hh:mm:ss UTC',
    '',
  ].join('\n'));

  t.is((await cli(['access'], opts)).stdout, [
    'USER   SCOPE          ROLE      SSH  SUDO',
    'alice  app:blog       viewer    -    -',
    'alice  app:shop       deployer  -    -',
    'bob    cluster:local  manager   yes  yes',
    '',
  ].join('\n'));
  const none = await cli(['access', '--cluster', 'eu'], opts);
  t.is(none.stdout, 'No grants for cluster eu. Give one with: scalarium access:grant USER --app APP --role ROLE\n');

  t.is(withoutDates((await cli(['tokens'], opts)).stdout), [
    'NAME     SCOPE     ROLE      EXPIRES                  LAST USED',
    'ci       app:shop  deployer  YYYY-MM-DD hh:mm:ss UTC  never',
    'initial  all       yours     never                    YYYY-MM-DD hh:mm:ss UTC',
    '',
  ].join('\n'));

  const [key] = await must<Key[]>(api.server, 200, 'GET', '/api/keys'); // SHA256: and 43 characters
  t.is(withoutDates((await cli(['keys'], opts)).stdout), [
    'FINGERPRINT                                         TYPE         COMMENT       ADDED',
    `${key.fingerprint}  ssh-ed25519  admin@laptop  YYYY-MM-DD hh:mm:ss UTC`,
    '',
  ].join('\n'));

  t.is(withoutDates((await cli(['audit', '-n', '2'], opts)).stdout), [
    'AT                       ACTOR                  ACTION                       TARGET  OUTCOME  SOURCE',
    'YYYY-MM-DD hh:mm:ss UTC  alice (token laptop)   PATCH /api/apps/:app/config  blog    denied   127.0.0.1',
    'YYYY-MM-DD hh:mm:ss UTC  admin (token initial)  config.change                shop    ok       127.0.0.1',
    '',
  ].join('\n'));
});

test('users:create sends name, email and admin and prints the one-time invite link', async (t) => {
  const api = await loggedIn(t);
  const opts = { env: api.env, cwd: api.cwd };
  const created = await cli(['users:create', 'carol', '--email', 'carol@example.org', '--admin'], opts);
  t.is(created.code, 0, created.stderr);
  const lines = created.stdout.split('\n');
  t.deepEqual([lines[0], lines[1], lines[3], lines[4]], [
    'Created user carol (admin).',
    'Invite link for carol (shown only this once, valid for 7 days):',
    'Send it to carol: the page lets them choose a password. Lost it? `scalarium users:invite carol` makes a new one.',
    '',
  ]);
  t.regex(lines[2], new RegExp(`^${api.url}/invite/[\\w-]{20,}$`));
  t.like((await must<Array<{ name: string }>>(api.server, 200, 'GET', '/api/users')).find((u) => u.name === 'carol'),
    { email: 'carol@example.org', admin: true, disabled: false, invitePending: true });
  // the link is the one that works: it opens carol's page to choose a password
  const page = await fetch(lines[2]);
  t.is(page.status, 200);
  t.regex(await page.text(), /carol/);

  const plain = await cli(['users:create', 'dave', '--json'], opts);
  const answer = JSON.parse(plain.stdout);
  t.like(answer, { user: { name: 'dave', email: null, admin: false, disabled: false } });
  t.regex(answer.inviteUrl, new RegExp(`^${api.url}/invite/`));
  t.like((await must<Array<{ name: string }>>(api.server, 200, 'GET', '/api/users')).find((u) => u.name === 'dave'), { admin: false, invitePending: true });

  const taken = await cli(['users:create', 'carol'], opts);
  t.deepEqual(taken, { code: 1, stdout: '', stderr: '▸ A user named "carol" already exists.\n' });
});

test('users:invite, users:disable, users:enable and users:destroy', async (t) => {
  const api = await accessWorld(t);
  const opts = { env: api.env, cwd: api.cwd };
  const user = async (name: string) => (await must<Array<{ name: string }>>(api.server, 200, 'GET', '/api/users')).find((u) => u.name === name);

  const invite = await cli(['users:invite', 'alice'], opts);
  t.is(invite.code, 0, invite.stderr);
  t.regex(invite.stdout, new RegExp(`^Invite link for alice \\(shown only this once, valid for 7 days\\):\\n${api.url}/invite/[\\w-]{20,}\\n`));
  t.is(invite.stderr, '▸ Earlier invite links for this user no longer work.\n');

  // disabling ends what alice could do with her token
  t.is((await api.server.api('GET', '/api/whoami', undefined, api.alice)).status, 200);
  const disable = await cli(['users:disable', 'alice'], opts);
  t.is(disable.stdout, 'Disabled alice: their sessions ended and their API tokens stopped working.\n');
  t.like(await user('alice'), { disabled: true });
  t.is((await api.server.api('GET', '/api/whoami', undefined, api.alice)).status, 401);
  const disableJson = await cli(['users:disable', 'alice', '--json'], opts);
  t.is(JSON.parse(disableJson.stdout).disabled, true);

  const enable = await cli(['users:enable', 'bob'], opts);
  t.is(enable.stdout, 'Enabled bob.\n');
  t.like(await user('bob'), { disabled: false });

  const unknown = await cli(['users:disable', 'zoe'], opts);
  t.deepEqual(unknown, { code: 1, stdout: '', stderr: '▸ No user named "zoe".\n' });

  const refused = await cli(['users:destroy', 'bob'], opts);
  t.is(refused.code, 1);
  t.is(refused.stderr, '▸ This deletes the user bob. It cannot be undone.\n  To proceed, run: scalarium users:destroy bob --confirm bob\n');
  const mismatch = await cli(['users:destroy', 'bob', '--confirm', 'alice'], opts);
  t.regex(mismatch.stderr, /--confirm alice does not match the user name bob; nothing was deleted/);
  t.truthy(await user('bob'), 'bob is still there');
  t.truthy(await user('alice'), 'and so is alice');
  const destroyed = await cli(['users:destroy', 'bob', '--confirm', 'bob'], opts);
  t.deepEqual(destroyed, { code: 0, stdout: 'Deleted user bob.\n', stderr: '' });
  t.is(await user('bob'), undefined);
});

test('a user who is not an admin gets the 403 message', async (t) => {
  const world = await accessWorld(t);
  const api = await loggedIn(t, { server: world.server, token: world.alice });
  const result = await cli(['users'], { env: api.env, cwd: api.cwd });
  t.deepEqual(result, { code: 1, stdout: '', stderr: '▸ You are not allowed to do that: admin on this server needs the admin role.\n' });
});

test('a refusal names the role the action needs and what limits the caller: their own role, or the token\'s cap; the audit log names the token', async (t) => {
  const world = await accessWorld(t);
  const alice = await loggedIn(t, { server: world.server, token: world.alice });
  const asAlice = await cli(['config:set', 'X=1', '-a', 'shop'], { env: alice.env, cwd: alice.cwd });
  t.is(asAlice.code, 1);
  t.is(asAlice.stderr, 'Setting config vars and restarting shop... failed\n▸ You are not allowed to do that: configure on app shop needs the manager role; you have deployer.\n');

  // The admin's token "ci" is capped at deployer: the admin could, the token cannot.
  const { token } = await must<{ token: string }>(world.server, 201, 'POST', '/api/tokens', { name: 'ci-2', app: 'shop', role: 'deployer', expires: '1d' });
  const capped = await loggedIn(t, { server: world.server, token });
  await world.server.deployFakeRelease('shop', { processTypes: { web: 'node server.js' } });
  const asToken = await cli(['config:set', 'X=1', '-a', 'shop'], { env: capped.env, cwd: capped.cwd });
  t.is(asToken.code, 1);
  t.is(asToken.stderr, 'Setting config vars and restarting shop... failed\n▸ You are not allowed to do that: configure on app shop needs the manager role; the token ci-2 is capped at deployer.\n');
  t.is((await cli(['ps:restart', '-a', 'shop'], { env: capped.env, cwd: capped.cwd })).code, 0, 'what the token may do, it does');

  const audit = await cli(['audit', '--target', 'shop', '--limit', '2'], { env: world.env, cwd: world.cwd });
  t.regex(audit.stdout, /admin \(token ci-2\) +ps\.restart +shop +ok/);
  t.regex(audit.stdout, /admin \(token ci-2\) +PATCH \/api\/apps\/:app\/config +shop +denied/);
});

test('access:grant and access:revoke send the documented bodies', async (t) => {
  const api = await loggedIn(t);
  const opts = { env: api.env, cwd: api.cwd };
  await must(api.server, 201, 'POST', '/api/apps', { name: 'shop' });
  for (const name of ['alice', 'bob']) await must(api.server, 201, 'POST', '/api/users', { name });
  type Grant = { user: string; scope: { kind: string; name: string }; role: string; ssh: boolean; sudo: boolean };
  const grants = async () => (await must<Grant[]>(api.server, 200, 'GET', '/api/access'))
    .map((g) => `${g.user} ${g.scope.kind}:${g.scope.name} ${g.role}${g.ssh ? ' ssh' : ''}${g.sudo ? ' sudo' : ''}`).sort();

  const app = await cli(['access:grant', 'alice', '--app', 'shop', '--role', 'deployer'], opts);
  t.is(app.code, 0, app.stderr);
  t.is(app.stdout, 'Granted alice deployer on app shop.\n');
  t.deepEqual(await grants(), ['alice app:shop deployer']);

  const cluster = await cli(['access:grant', 'bob', '-c', 'local', '-r', 'manager', '--ssh', '--sudo'], opts);
  t.is(cluster.stdout, 'Granted bob manager on cluster local with SSH access and sudo.\n');
  t.deepEqual(await grants(), ['alice app:shop deployer', 'bob cluster:local manager ssh sudo']);

  // a new grant on the same scope replaces the old one, SSH and sudo included
  const noSsh = await cli(['access:grant', 'bob', '--cluster', 'local', '--role', 'viewer', '--json'], opts);
  t.like(JSON.parse(noSsh.stdout), { user: 'bob', scope: { kind: 'cluster', name: 'local' }, role: 'viewer', ssh: false, sudo: false });
  t.deepEqual(await grants(), ['alice app:shop deployer', 'bob cluster:local viewer']);

  const revoke = await cli(['access:revoke', 'alice', '--app', 'shop'], opts);
  t.deepEqual(revoke, { code: 0, stdout: 'Revoked alice\'s access to app shop.\n', stderr: '' });
  t.deepEqual(await grants(), ['bob cluster:local viewer']);
  await cli(['access:revoke', 'bob', '--cluster', 'local'], opts);
  t.deepEqual(await grants(), []);
});

test('tokens:create prints the token alone on stdout with a warning on stderr; --json is the API object', async (t) => {
  const api = await loggedIn(t);
  const opts = { env: api.env, cwd: api.cwd };
  await must(api.server, 201, 'POST', '/api/apps', { name: 'shop' });
  const whoami = (token: string) => api.server.api('GET', '/api/whoami', undefined, token);

  const created = await cli(['tokens:create', 'deploy', '--app', 'shop', '--role', 'deployer', '--expires', '90d'], opts);
  t.is(created.code, 0, created.stderr);
  t.regex(created.stdout, /^scl_\S+\n$/, 'stdout is the token alone: TOKEN=$(scalarium tokens:create …) works');
  const deploy = created.stdout.trim();
  t.like((await whoami(deploy)).body, { token: { name: 'deploy' } });
  t.regex(created.stderr, new RegExp([
    '^Created API token deploy \\(only app shop, at most deployer, expires \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC\\):',
    '▸ Store it now, e.g. in your CI\'s secrets: it is shown only this once and cannot be shown again\\.',
    '$',
  ].join('\\n')));
  const expires = Date.parse((await must<Array<{ name: string; expiresAt: string }>>(api.server, 200, 'GET', '/api/tokens')).find((k) => k.name === 'deploy')!.expiresAt);
  t.true(Math.abs(expires - (Date.now() + 90 * 86_400_000)) < 60_000, 'expires in 90 days');

  const full = await cli(['tokens:create', 'desk'], opts);
  t.is(full.stderr.split('\n')[0], 'Created API token desk (all your apps, your roles, never expires):');

  const nextYear = `${new Date().getUTCFullYear() + 1}-01-01`; // the server takes dates up to 10 years ahead
  const json = await cli(['tokens:create', 'ops', '--cluster', 'local', '--expires', nextYear, '--json'], opts);
  const ops = JSON.parse(json.stdout);
  t.like(ops, { name: 'ops', scope: { kind: 'cluster', name: 'local' }, role: null });
  t.is(Date.parse(ops.expiresAt), Date.parse(nextYear));
  t.is((await whoami(ops.token)).status, 200);
  t.is(json.stderr, '');

  const taken = await cli(['tokens:create', 'initial'], opts);
  t.is(taken.code, 1);
  t.is(taken.stderr, '▸ You already have a token named "initial".\n  Revoke it first or choose another name.\n');

  const revoked = await cli(['tokens:revoke', 'deploy'], opts);
  t.deepEqual(revoked, { code: 0, stdout: 'Revoked API token deploy.\n', stderr: '' });
  t.is((await whoami(deploy)).status, 401, 'a revoked token stops working');
  const missing = await cli(['tokens:revoke', 'nope'], opts);
  t.deepEqual(missing, { code: 1, stdout: '', stderr: '▸ You have no token named "nope".\n' });
});

test('keys:add reads ~/.ssh/id_ed25519.pub, then ~/.ssh/id_rsa.pub, or the given file', async (t) => {
  const api = await loggedIn(t);
  const opts = { env: api.env, cwd: api.cwd };
  const ssh = join(api.env.HOME!, '.ssh');
  const keys = () => must<Key[]>(api.server, 200, 'GET', '/api/keys');

  const nothing = await cli(['keys:add'], opts);
  t.is(nothing.code, 1);
  t.regex(nothing.stderr, /^▸ No public key found: neither .*id_ed25519\.pub nor .*id_rsa\.pub exists\.\n  .*ssh-keygen -t ed25519/);

  await mkdir(ssh);
  await writeFile(join(ssh, 'id_rsa.pub'), `${RSA_KEY}\n`);
  const rsa = await cli(['keys:add'], opts);
  t.is(rsa.code, 0, rsa.stderr);
  t.like(await keys(), [{ type: 'ssh-rsa', comment: 'alice@old-laptop' }]);

  await writeFile(join(ssh, 'id_ed25519.pub'), `${PUBLIC_KEY}\n`);
  const ed = await cli(['keys:add'], opts);
  const edKey = (await keys()).find((k) => k.type === 'ssh-ed25519');
  t.like(edKey, { comment: 'alice@laptop' });
  t.is(ed.stdout, `Added SSH key ${edKey!.fingerprint} (alice@laptop).\n`);

  const removed = await cli(['keys:remove', edKey!.fingerprint], opts);
  t.deepEqual(removed, { code: 0, stdout: `Removed SSH key ${edKey!.fingerprint}.\n`, stderr: '' });
  t.deepEqual((await keys()).map((k) => k.type), ['ssh-rsa']);

  // the same key from a file with a comment line and CRLFs; "~/" is expanded
  await writeFile(join(api.cwd, 'work.pub'), `# a comment\r\n${PUBLIC_KEY}\r\n`);
  const given = await cli(['keys:add', 'work.pub', '--json'], opts);
  t.like(JSON.parse(given.stdout), { type: 'ssh-ed25519', fingerprint: edKey!.fingerprint });
  const again = await cli(['keys:add', '~/.ssh/id_rsa.pub'], opts);
  t.deepEqual(again, { code: 1, stdout: '', stderr: '▸ You have added this SSH key already.\n' });

  // a fingerprint with "/" and "+" reaches the server as one path segment; "SHA256:" may be left out
  const slashy = 'SHA256:ab/cd+efghijklmnopqrstuvwxyzABCDEFGHIJKLMNO';
  const unknown = await cli(['keys:remove', slashy.slice('SHA256:'.length)], opts);
  t.deepEqual(unknown, { code: 1, stdout: '', stderr: `▸ You have no SSH key "${slashy}".\n` });
});

test('keys:add refuses a private key and never sends it', async (t) => {
  const api = await loggedIn(t);
  const opts = { env: api.env, cwd: api.cwd };
  const ssh = join(api.env.HOME!, '.ssh');
  const keys = () => must<Key[]>(api.server, 200, 'GET', '/api/keys');
  await mkdir(ssh);

  await writeFile(join(ssh, 'id_ed25519'), PRIVATE_KEY, { mode: 0o600 });
  await writeFile(join(ssh, 'id_ed25519.pub'), `${PUBLIC_KEY}\n`);
  const wrongFile = await cli(['keys:add', join(ssh, 'id_ed25519')], opts);
  t.is(wrongFile.code, 1);
  t.is(wrongFile.stdout, '');
  t.is(wrongFile.stderr, `▸ ${join(ssh, 'id_ed25519')} is a PRIVATE key: it was not sent. A private key must never leave your machine.\n` +
    `  Add the public key instead: scalarium keys:add ${join(ssh, 'id_ed25519')}.pub\n`);

  // a private key behind a .pub name, and the other private key formats
  const formats = [
    PRIVATE_KEY,
    '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n',
    '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n',
    '-----BEGIN PRIVATE KEY-----\nMC4CAQAw\n-----END PRIVATE KEY-----\n',
    '-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBO\n-----END ENCRYPTED PRIVATE KEY-----\n',
    'PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nPrivate-Lines: 1\nAAAA\n',
    `${PUBLIC_KEY}\n${PRIVATE_KEY}`,
  ];
  for (const [i, text] of formats.entries()) {
    const path = join(api.cwd, `disguised-${i}.pub`);
    await writeFile(path, text);
    const result = await cli(['keys:add', path], opts);
    t.is(result.code, 1, text);
    t.regex(result.stderr, /is a PRIVATE key: it was not sent/, text);
    t.regex(result.stderr, /ssh-keygen -y -f/, text);
  }

  // a real key pair from ssh-keygen: the private half is refused, the public half is sent
  const real = join(api.cwd, 'real');
  await execFileAsync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'test@sandbox', '-f', real]);
  t.is((await cli(['keys:add', real], opts)).code, 1);
  t.deepEqual(await keys(), [], 'no private key ever reached the server');
  const ok = await cli(['keys:add', `${real}.pub`], opts);
  t.is(ok.code, 0, ok.stderr);
  // the server holds the very key ssh-keygen made: the same fingerprint
  const { stdout: listed } = await execFileAsync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${real}.pub`]);
  t.like(await keys(), [{ fingerprint: listed.split(' ')[1], type: 'ssh-ed25519', comment: 'test@sandbox' }]);

  // not a key at all
  const cases: [string, RegExp][] = [
    ['', /is not an SSH public key: it is empty/],
    ['hello world\n', /is not an SSH public key: "hello" is not an SSH key type/],
    [`${PUBLIC_KEY}\n${RSA_KEY}\n`, /it holds 2 lines; give a file with one key/],
    ['---- BEGIN SSH2 PUBLIC KEY ----\nAAAA\n---- END SSH2 PUBLIC KEY ----\n', /RFC 4716 format; convert it with `ssh-keygen -i -f FILE`/],
  ];
  for (const [text, message] of cases) {
    await writeFile(join(api.cwd, 'odd.pub'), text);
    const result = await cli(['keys:add', 'odd.pub'], opts);
    t.is(result.code, 1, text);
    t.regex(result.stderr, message, text);
  }
  t.is((await cli(['keys:add', 'missing.pub'], opts)).stderr, `▸ ${join(api.cwd, 'missing.pub')} does not exist.\n`);
  t.is((await keys()).length, 1, 'only the real public key was added');
});

test('audit sends its filters as the query', async (t) => {
  const api = await readOnly(t);
  type Entry = { actor: string; action: string; target: string; outcome: string };
  const filtered = await cli(['audit', '--since', '1d', '--actor', 'admin', '--action', 'config.change', '--target', 'shop',
    '--outcome', 'ok', '--limit', '50', '--json'], { env: api.env, cwd: api.cwd });
  t.is(filtered.code, 0, filtered.stderr);
  const entries = JSON.parse(filtered.stdout) as Entry[];
  t.deepEqual(entries.map((e) => [e.actor, e.action, e.target, e.outcome]), [['admin', 'config.change', 'shop', 'ok']]);
  const denied = JSON.parse((await cli(['audit', '--outcome', 'denied', '--json'], { env: api.env, cwd: api.cwd })).stdout) as Entry[];
  t.deepEqual(denied.map((e) => [e.actor, e.target]), [['alice', 'blog']]);
  // A refused request is recorded by its method and route: that is an action to filter by too.
  const byRoute = await cli(['audit', '--action', 'PATCH /api/apps/:app/config', '--json'], { env: api.env, cwd: api.cwd });
  t.is(byRoute.code, 0, byRoute.stderr);
  t.deepEqual((JSON.parse(byRoute.stdout) as Entry[]).map((e) => [e.actor, e.action, e.outcome]), [['alice', 'PATCH /api/apps/:app/config', 'denied']]);
  const all = await must<Entry[]>(api.server, 200, 'GET', '/api/audit');
  t.true(all.length > 5);
  const five = JSON.parse((await cli(['audit', '--since', '2026-11-01T00:00:00Z', '-n', '5', '--json'], { env: api.env, cwd: api.cwd })).stdout);
  t.deepEqual(five, all.slice(0, 5));
});

test('access-control usage errors exit 2 before any request is made', async (t) => {
  // The server is unreachable: had the CLI sent a request, the exit code would be 1.
  const box = await sandbox(t, { SCALARIUM_SERVER: 'http://127.0.0.1:9', SCALARIUM_TOKEN: UNKNOWN_TOKEN });
  const cwd = join(box.dir, 'work');
  const cases: [string[], RegExp][] = [
    [['users:create'], /Missing NAME/],
    [['users:create', 'Alice'], /"Alice" is not a valid user name/],
    [['users:create', 'alice', '--email', 'nope'], /"nope" is not an email address/],
    [['users:invite', 'a_b'], /"a_b" is not a valid user name/],
    [['users:destroy'], /Missing NAME/],
    [['access', '--app', 'shop', '--user', 'alice'], /Give at most one of --app, --cluster and --user \(got --app and --user\)/],
    [['access', '--cluster', 'Local'], /"Local" is not a valid cluster name/],
    [['access:grant', 'alice', '--role', 'deployer'], /Missing --app NAME or --cluster NAME/],
    [['access:grant', 'alice', '--app', 'shop', '--cluster', 'local', '--role', 'viewer'], /Give either --app or --cluster, not both/],
    [['access:grant', 'alice', '--app', 'shop'], /Missing --role ROLE/],
    [['access:grant', 'alice', '--app', 'shop', '--role', 'admin'], /"admin" is not a role\.\n {2}Use viewer, deployer or manager\./],
    [['access:grant', 'alice', '--app', 'shop', '--role', 'Viewer'], /"Viewer" is not a role/],
    [['access:grant', 'alice', '--app', 'shop', '--role', 'viewer', '--ssh'], /--ssh applies to clusters only/],
    [['access:grant', 'alice', '--cluster', 'local', '--role', 'viewer', '--sudo'], /--sudo needs --ssh/],
    [['access:grant', '--app', 'shop', '--role', 'viewer'], /Missing USER/],
    [['access:revoke', 'alice'], /Missing --app NAME or --cluster NAME/],
    [['access:revoke', 'alice', '--app', 'shop', '--role', 'viewer'], /Unknown option --role/],
    [['tokens:create', 'ci', '--role', 'owner'], /"owner" is not a role/],
    [['tokens:create', 'ci', '--app', 'a', '--cluster', 'b'], /Give either --app or --cluster, not both/],
    [['tokens:create', 'ci', '--expires', '90'], /--expires must be a duration \(90d, 12h\) or an ISO date, got "90"/],
    [['tokens:create', 'ci', '--expires', '30m'], /--expires must be a duration/],
    [['tokens:create', 'ci', '--expires', '0d'], /--expires 0d is zero/],
    [['tokens:create', 'ci', '--expires', '2001-01-01'], /--expires 2001-01-01 is in the past/],
    [['tokens:create', 'ci', '--expires', 'tomorrow'], /--expires must be a duration/],
    [['tokens:create', 'CI'], /"CI" is not a valid token name/],
    [['tokens:revoke'], /Missing NAME/],
    [['keys:add', 'a', 'b'], /Unexpected argument "b"/],
    [['keys:remove', 'not-a-fingerprint'], /"not-a-fingerprint" is not an SSH key fingerprint/],
    [['audit', '--outcome', 'maybe'], /"maybe" is not an outcome\.\n {2}Use ok, denied or failed\./],
    [['audit', '--limit', 'lots'], /--limit must be a whole number above 0, got "lots"/],
    [['audit', '--limit', '0'], /--limit must be a whole number above 0/],
    [['audit', '--since', 'yesterday'], /--since must be a duration \(30m, 12h, 90d\)|--since must be a duration/],
    [['audit', '--since', '2999-01-01'], /--since 2999-01-01 is in the future/],
    [['audit', '--actor', 'Alice!'], /"Alice!" is not a valid user name/],
    [['audit', '--action', 'DROP TABLE'], /"DROP TABLE" is not an action/],
  ];
  for (const [args, message] of cases) {
    const result = await cli(args, { env: box.env, cwd });
    t.is(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    t.regex(result.stderr, message, args.join(' '));
    t.true(result.stderr.startsWith('▸ '), args.join(' '));
    t.is(result.stdout, '', args.join(' '));
  }
  const withUsage = await cli(['access:grant', 'alice', '--app', 'shop', '--role', 'owner'], { env: box.env, cwd });
  t.regex(withUsage.stderr, /Usage: scalarium access:grant USER \[options\]/);
});
