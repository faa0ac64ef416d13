// Tests of the access-control commands: users, access, tokens, keys, audit. The API is the fake
// of test-support.ts (a stand-in shaped as in docs/api.md, "Access control"); the tests check what
// the CLI sends, that --json passes the API's JSON through, the human tables and the usage errors.
import test from 'ava';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AUDIT, cli, execFileAsync, GRANTS, KEYS, loggedIn, NEW_TOKEN, sandbox, TOKEN, TOKENS, USERS, VIEWER_TOKEN,
} from './test-support.ts';

const PUBLIC_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice@laptop';
const RSA_KEY = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDQ alice@old-laptop';
const PRIVATE_KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----\n';

test('--json prints the raw API JSON of users, access, tokens, keys and audit', async (t) => {
  const api = await loggedIn(t);
  const cases: [string[], unknown][] = [
    [['users', '--json'], USERS],
    [['access', '--json'], GRANTS],
    [['access', '--user', 'alice', '--json'], GRANTS.filter((g) => g.user === 'alice')],
    [['tokens', '--json'], TOKENS],
    [['keys', '--json'], KEYS],
    [['audit', '--json'], AUDIT],
  ];
  for (const [args, expected] of cases) {
    const result = await cli(args, { env: api.env, cwd: api.cwd });
    t.is(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    t.deepEqual(JSON.parse(result.stdout), expected, args.join(' '));
    t.is(result.stderr, '', args.join(' '));
  }
  t.deepEqual(api.requests.map((r) => `${r.method} ${r.path}`), [
    'GET /api/users', 'GET /api/access', 'GET /api/access', 'GET /api/tokens', 'GET /api/keys', 'GET /api/audit',
  ]);
  t.deepEqual(api.requests[2].query, { user: 'alice' });
  t.true(api.requests.every((r) => r.authorization === `Bearer ${TOKEN}`));
});

test('human tables: users, access, tokens, keys, audit', async (t) => {
  const api = await loggedIn(t);
  const opts = { env: api.env, cwd: api.cwd };

  t.is((await cli(['users'], opts)).stdout, [
    'NAME   EMAIL              ADMIN  STATUS    CREATED',
    'admin  -                  yes    active    2026-11-01 08:00:00 UTC',
    'alice  alice@example.org  -      invited   2026-11-02 08:00:00 UTC',
    'bob    bob@example.org    -      disabled  2026-11-03 08:00:00 UTC',
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
  t.deepEqual(api.requests.at(-1)?.query, { cluster: 'eu' });

  t.is((await cli(['tokens'], opts)).stdout, [
    'NAME    SCOPE     ROLE      EXPIRES                  LAST USED',
    'ci      app:shop  deployer  2027-02-01 08:00:00 UTC  never',
    'laptop  all       yours     never                    2026-11-28 10:00:00 UTC',
    '',
  ].join('\n'));

  t.is((await cli(['keys'], opts)).stdout, [
    'FINGERPRINT                                         TYPE         COMMENT       ADDED',
    'SHA256:4KZsXkfBxbZLsmBp7HvEwLYJ1DxJ84dwt5Tz1fDrLc8  ssh-ed25519  admin@laptop  2026-11-05 08:00:00 UTC',
    '',
  ].join('\n'));

  t.is((await cli(['audit'], opts)).stdout, [
    'AT                       ACTOR  ACTION         TARGET  OUTCOME  SOURCE',
    '2026-11-28 10:00:00 UTC  alice  config.change  shop    denied   api',
    '2026-11-28 09:00:00 UTC  admin  app.create     shop    ok       cli',
    '',
  ].join('\n'));
});

test('users:create sends name, email and admin and prints the one-time invite link', async (t) => {
  const api = await loggedIn(t);
  const opts = { env: api.env, cwd: api.cwd };
  const created = await cli(['users:create', 'carol', '--email', 'carol@example.org', '--admin'], opts);
  t.is(created.code, 0, created.stderr);
  t.like(api.requests[0], { method: 'POST', path: '/api/users', body: { name: 'carol', email: 'carol@example.org', admin: true } });
  t.is(created.stdout, [
    'Created user carol (admin).',
    'Invite link for carol (shown only this once, valid for 7 days):',
    `${api.url}/invite/inv_carol_1`,
    'Send it to carol: the page lets them choose a password. Lost it? `scalarium users:invite carol` makes a new one.',
    '',
  ].join('\n'));

  const plain = await cli(['users:create', 'dave', '--json'], opts);
  t.deepEqual(api.requests[1].body, { name: 'dave', admin: false });
  t.deepEqual(JSON.parse(plain.stdout), {
    user: { name: 'dave', email: null, admin: false, disabled: false, invitePending: true, createdAt: '2026-11-28T10:00:00.000Z' },
    inviteUrl: `${api.url}/invite/inv_dave_1`,
  });

  const taken = await cli(['users:create', 'alice'], opts);
  t.deepEqual(taken, { code: 1, stdout: '', stderr: '▸ A user named "alice" already exists.\n' });
});

test('users:invite, users:disable, users:enable and users:destroy', async (t) => {
  const api = await loggedIn(t);
  const opts = { env: api.env, cwd: api.cwd };

  const invite = await cli(['users:invite', 'alice'], opts);
  t.is(invite.code, 0, invite.stderr);
  t.like(api.requests[0], { method: 'POST', path: '/api/users/alice/invite' });
  t.regex(invite.stdout, new RegExp(`^Invite link for alice \\(shown only this once, valid for 7 days\\):\\n${api.url}/invite/inv_alice_2\\n`));
  t.is(invite.stderr, '▸ Earlier invite links for this user no longer work.\n');

  const disable = await cli(['users:disable', 'alice'], opts);
  t.like(api.requests[1], { method: 'POST', path: '/api/users/alice/disable' });
  t.is(disable.stdout, 'Disabled alice: their sessions ended and their API tokens stopped working.\n');
  const disableJson = await cli(['users:disable', 'alice', '--json'], opts);
  t.is(JSON.parse(disableJson.stdout).disabled, true);

  const enable = await cli(['users:enable', 'bob'], opts);
  t.like(api.requests[3], { method: 'POST', path: '/api/users/bob/enable' });
  t.is(enable.stdout, 'Enabled bob.\n');

  const unknown = await cli(['users:disable', 'zoe'], opts);
  t.deepEqual(unknown, { code: 1, stdout: '', stderr: '▸ No user named "zoe".\n' });

  const before = api.requests.length;
  const refused = await cli(['users:destroy', 'bob'], opts);
  t.is(refused.code, 1);
  t.is(refused.stderr, '▸ This deletes the user bob. It cannot be undone.\n  To proceed, run: scalarium users:destroy bob --confirm bob\n');
  const mismatch = await cli(['users:destroy', 'bob', '--confirm', 'alice'], opts);
  t.regex(mismatch.stderr, /--confirm alice does not match the user name bob; nothing was deleted/);
  t.is(api.requests.length, before, 'nothing was sent');
  const destroyed = await cli(['users:destroy', 'bob', '--confirm', 'bob'], opts);
  t.deepEqual(destroyed, { code: 0, stdout: 'Deleted user bob.\n', stderr: '' });
  t.like(api.requests.at(-1), { method: 'DELETE', path: '/api/users/bob' });
});

test('a user who is not an admin gets the 403 message', async (t) => {
  const api = await loggedIn(t, VIEWER_TOKEN);
  const result = await cli(['users'], { env: api.env, cwd: api.cwd });
  t.deepEqual(result, { code: 1, stdout: '', stderr: '▸ Only admins may do that.\n' });
});

test('access:grant and access:revoke send the documented bodies', async (t) => {
  const api = await loggedIn(t);
  const opts = { env: api.env, cwd: api.cwd };

  const app = await cli(['access:grant', 'alice', '--app', 'shop', '--role', 'deployer'], opts);
  t.is(app.code, 0, app.stderr);
  t.like(api.requests[0], { method: 'POST', path: '/api/access' });
  t.deepEqual(api.requests[0].body, { user: 'alice', app: 'shop', role: 'deployer' });
  t.is(app.stdout, 'Granted alice deployer on app shop.\n');

  const cluster = await cli(['access:grant', 'bob', '-c', 'local', '-r', 'manager', '--ssh', '--sudo'], opts);
  t.deepEqual(api.requests[1].body, { user: 'bob', cluster: 'local', role: 'manager', ssh: true, sudo: true });
  t.is(cluster.stdout, 'Granted bob manager on cluster local with SSH access and sudo.\n');

  const noSsh = await cli(['access:grant', 'bob', '--cluster', 'local', '--role', 'viewer', '--json'], opts);
  t.deepEqual(api.requests[2].body, { user: 'bob', cluster: 'local', role: 'viewer', ssh: false, sudo: false });
  t.deepEqual(JSON.parse(noSsh.stdout), { user: 'bob', scope: { kind: 'cluster', name: 'local' }, role: 'viewer', ssh: false, sudo: false });

  const revoke = await cli(['access:revoke', 'alice', '--app', 'shop'], opts);
  t.like(api.requests[3], { method: 'POST', path: '/api/access/revoke', body: { user: 'alice', app: 'shop' } });
  t.deepEqual(revoke, { code: 0, stdout: 'Revoked alice\'s access to app shop.\n', stderr: '' });
  await cli(['access:revoke', 'bob', '--cluster', 'local'], opts);
  t.deepEqual(api.requests[4].body, { user: 'bob', cluster: 'local' });
});

test('tokens:create prints the token alone on stdout with a warning on stderr; --json is the API object', async (t) => {
  const api = await loggedIn(t);
  const opts = { env: api.env, cwd: api.cwd };

  const created = await cli(['tokens:create', 'deploy', '--app', 'shop', '--role', 'deployer', '--expires', '90d'], opts);
  t.is(created.code, 0, created.stderr);
  t.like(api.requests[0], { method: 'POST', path: '/api/tokens' });
  t.deepEqual(api.requests[0].body, { name: 'deploy', app: 'shop', role: 'deployer', expires: '90d' });
  t.is(created.stdout, `${NEW_TOKEN}\n`, 'stdout is the token alone: TOKEN=$(scalarium tokens:create …) works');
  t.is(created.stderr, [
    'Created API token deploy (only app shop, at most deployer, expires 2027-02-26 10:00:00 UTC):',
    '▸ Store it now, e.g. in your CI\'s secrets: it is shown only this once and cannot be shown again.',
    '',
  ].join('\n'));

  const full = await cli(['tokens:create', 'desk'], opts);
  t.deepEqual(api.requests[1].body, { name: 'desk' });
  t.is(full.stderr.split('\n')[0], 'Created API token desk (all your apps, your roles, never expires):');

  const json = await cli(['tokens:create', 'ops', '--cluster', 'local', '--expires', '2099-01-01', '--json'], opts);
  t.deepEqual(api.requests[2].body, { name: 'ops', cluster: 'local', expires: '2099-01-01' });
  t.deepEqual(JSON.parse(json.stdout), {
    name: 'ops', token: NEW_TOKEN, scope: { kind: 'cluster', name: 'local' }, role: null, expiresAt: '2027-02-26T10:00:00.000Z',
  });
  t.is(json.stderr, '');

  const taken = await cli(['tokens:create', 'laptop'], opts);
  t.is(taken.code, 1);
  t.is(taken.stderr, '▸ You already have a token named "laptop".\n  Revoke it first or choose another name.\n');

  const revoked = await cli(['tokens:revoke', 'ci'], opts);
  t.deepEqual(revoked, { code: 0, stdout: 'Revoked API token ci.\n', stderr: '' });
  t.like(api.requests.at(-1), { method: 'DELETE', path: '/api/tokens/ci' });
  const missing = await cli(['tokens:revoke', 'nope'], opts);
  t.deepEqual(missing, { code: 1, stdout: '', stderr: '▸ You have no token named "nope".\n' });
});

test('keys:add reads ~/.ssh/id_ed25519.pub, then ~/.ssh/id_rsa.pub, or the given file', async (t) => {
  const api = await loggedIn(t);
  const opts = { env: api.env, cwd: api.cwd };
  const ssh = join(api.env.HOME!, '.ssh');

  const nothing = await cli(['keys:add'], opts);
  t.is(nothing.code, 1);
  t.regex(nothing.stderr, /^▸ No public key found: neither .*id_ed25519\.pub nor .*id_rsa\.pub exists\.\n  .*ssh-keygen -t ed25519/);

  await mkdir(ssh);
  await writeFile(join(ssh, 'id_rsa.pub'), `${RSA_KEY}\n`);
  const rsa = await cli(['keys:add'], opts);
  t.is(rsa.code, 0, rsa.stderr);
  t.deepEqual(api.requests[0].body, { publicKey: RSA_KEY });

  await writeFile(join(ssh, 'id_ed25519.pub'), `${PUBLIC_KEY}\n`);
  const ed = await cli(['keys:add'], opts);
  t.deepEqual(api.requests[1].body, { publicKey: PUBLIC_KEY });
  t.is(ed.stdout, 'Added SSH key SHA256:Nw8FZ0kVd3z2Dkz8Hh6ZtF1cJzv0nqH3rEw4yTq9s1U (alice@laptop).\n');

  await writeFile(join(api.cwd, 'work.pub'), `# a comment\r\n${PUBLIC_KEY}\r\n`);
  const given = await cli(['keys:add', 'work.pub', '--json'], opts);
  t.deepEqual(api.requests[2].body, { publicKey: PUBLIC_KEY });
  t.is(JSON.parse(given.stdout).type, 'ssh-ed25519');
  await cli(['keys:add', '~/.ssh/id_rsa.pub'], opts);
  t.deepEqual(api.requests[3].body, { publicKey: RSA_KEY });

  const removed = await cli(['keys:remove', KEYS[0].fingerprint], opts);
  t.deepEqual(removed, { code: 0, stdout: `Removed SSH key ${KEYS[0].fingerprint}.\n`, stderr: '' });
  t.like(api.requests[4], { method: 'DELETE', path: `/api/keys/${encodeURIComponent(KEYS[0].fingerprint)}` });
  // a fingerprint with "/" and "+" is escaped into one path segment; "SHA256:" may be left out
  const slashy = 'SHA256:ab/cd+efghijklmnopqrstuvwxyzABCDEFGHIJKLMNO';
  await cli(['keys:remove', slashy.slice('SHA256:'.length)], opts);
  t.is(api.requests[5].path, '/api/keys/SHA256%3Aab%2Fcd%2BefghijklmnopqrstuvwxyzABCDEFGHIJKLMNO');
});

test('keys:add refuses a private key and never sends it', async (t) => {
  const api = await loggedIn(t);
  const opts = { env: api.env, cwd: api.cwd };
  const ssh = join(api.env.HOME!, '.ssh');
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
  t.is(api.requests.length, 0, 'no private key was ever sent');
  const ok = await cli(['keys:add', `${real}.pub`], opts);
  t.is(ok.code, 0, ok.stderr);
  t.regex((api.requests[0].body as { publicKey: string }).publicKey, /^ssh-ed25519 [A-Za-z0-9+/]+=* test@sandbox$/);

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
  t.is(api.requests.length, 1);
});

test('audit sends its filters as the query', async (t) => {
  const api = await loggedIn(t);
  const result = await cli(['audit', '--since', '1d', '--actor', 'alice', '--action', 'config.change', '--target', 'shop',
    '--outcome', 'denied', '--limit', '50'], { env: api.env, cwd: api.cwd });
  t.is(result.code, 0, result.stderr);
  t.deepEqual(api.requests[0].query, { since: '1d', actor: 'alice', action: 'config.change', target: 'shop', outcome: 'denied', limit: '50' });
  await cli(['audit', '--since', '2026-11-01T00:00:00Z', '-n', '5'], { env: api.env, cwd: api.cwd });
  t.deepEqual(api.requests[1].query, { since: '2026-11-01T00:00:00Z', limit: '5' });
});

test('access-control usage errors exit 2 before any request is made', async (t) => {
  // The server is unreachable: had the CLI sent a request, the exit code would be 1.
  const box = await sandbox(t, { SCALARIUM_SERVER: 'http://127.0.0.1:9', SCALARIUM_TOKEN: TOKEN });
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
