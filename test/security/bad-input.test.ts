// The names and strings that broke other PaaS tools, thrown at every place a user can type one: app
// names, config keys and values, user and token names, roles, SSH keys, buildpack URLs, branch
// names, URL path parameters, audit filters. Each gets a clear 4xx, or is stored as inert data and
// comes back byte for byte. Nothing may run: every payload that would execute tries to create a
// canary file, and the last test looks for it everywhere (and for strays in the data dir).
import test, { type ExecutionContext } from 'ava';
import crypto from 'node:crypto';
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createTestScalarium, type LocalTestScalarium } from '../helpers/harness.ts';
import { authedGitUrl, createAppRepo, setResponse, type AppRepo } from '../helpers/app-repo.ts';
import { getViaRouter } from '../helpers/router-client.ts';

const execFileAsync = promisify(execFile);

const MARK = `pwned-${crypto.randomBytes(5).toString('hex')}`;
/** A directory payloads try to write into or wipe; it must end as it began. */
const CANARY = fs.mkdtempSync(path.join(os.tmpdir(), 'scalarium-canary-'));
fs.writeFileSync(path.join(CANARY, 'keep'), 'untouched\n');
const APP = 'victim';
const HOST = `${APP}.localhost`;
let server: LocalTestScalarium;
let repo: AppRepo;
let remote: string;
let files: http.Server | undefined;
let filesDir: string | undefined;

/** Strings that broke other tools; any that executes creates a file named MARK. */
const HOSTILE: string[] = [
  `a;touch ${MARK}`, `a|touch ${MARK}`, `a && touch ${MARK}`, `$(touch ${MARK})`, `\`touch ${MARK}\``, `a\ntouch ${MARK}`,
  `a\r\ntouch ${MARK}`, '..', '../../etc/passwd', `--upload-pack=touch /tmp/${MARK}`, '-rf', '--help', 'a\u0000b',
  'x'.repeat(10 * 1024), '\u0430pp' /* Cyrillic а */, '\uff41pp' /* fullwidth ａ */, 'ap\u200dp' /* zero-width joiner */,
  'app\u202e' /* right-to-left override */, 'APP', ' app', 'app ', '%2e%2e', 'app.git', 'app/../etc', '', '\u{1f4a5}',
  '${IFS}', "a'b", 'a"b', 'a\\b', '<script>', '{{7*7}}', '__proto__',
  `$(touch ${CANARY}/${MARK})`, `;rm -rf ${CANARY}`, `\`rm -rf ${CANARY}\``,
];

/** Request helper for raw bodies (the helper's api() always JSON-encodes). */
interface Answer { status: number; body: any; text: string }

async function raw(method: string, apiPath: string, body?: string, options: { token?: string; type?: string } = {}): Promise<Answer> {
  const res = await fetch(`${server.url}${apiPath}`, {
    method,
    headers: { authorization: `Bearer ${options.token ?? server.token}`, ...(body === undefined ? {} : { 'content-type': options.type ?? 'application/json' }) },
    body,
  });
  const text = await res.text();
  let parsed: any = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // text stays text
  }
  return { status: res.status, body: parsed, text };
}

const show = (value: unknown) => JSON.stringify(value).slice(0, 80);

function assertClientError(t: ExecutionContext, res: Answer, label: string, code?: string | RegExp): void {
  t.true(res.status >= 400 && res.status < 500, `${label} → ${res.status} ${res.text.slice(0, 200)}`);
  t.is(typeof res.body?.error?.code, 'string', `${label}: a JSON error with a code`);
  if (typeof code === 'string') t.is(res.body?.error?.code, code, label);
  else if (code) t.regex(res.body?.error?.code ?? '', code, label);
  // Errors never echo a hostile 10 KB string back in full.
  t.true(res.text.length < 2000, `${label}: answer of ${res.text.length} bytes`);
}

async function releaseCount(): Promise<number> {
  return (await server.api('GET', `/api/apps/${APP}/releases`)).body.length;
}

async function remoteRef(ref: string): Promise<string> {
  return (await execFileAsync('git', ['--git-dir', path.join(server.dataDir, 'repos', `${APP}.git`), 'rev-parse', '--verify', '-q', ref]).catch(() => ({ stdout: '' }))).stdout.trim();
}

test.before(async () => {
  server = await createTestScalarium({ instances: 'local', env: { SCALARIUM_OUTBOUND_ALLOW: '127.0.0.2/32' } });
  repo = await createAppRepo('node-hello');
  remote = authedGitUrl(server.url, APP, server.token);
  const created = await server.api('POST', '/api/apps', { name: APP });
  if (created.status !== 201) throw new Error(JSON.stringify(created.body));
  const push = await repo.push(remote);
  if (push.code !== 0) throw new Error(push.output);
  // Users to grant roles to.
  for (const name of ['alice', 'bob']) {
    const res = await server.api('POST', '/api/users', { name });
    if (res.status !== 201) throw new Error(JSON.stringify(res.body));
  }
});

test.after.always(async () => {
  files?.close();
  if (filesDir) fs.rmSync(filesDir, { recursive: true, force: true });
  await server?.close();
  repo?.cleanup();
  fs.rmSync(CANARY, { recursive: true, force: true });
});

test.serial('app names: every hostile name is 400 invalid_name and creates nothing', async (t) => {
  const reposBefore = fs.readdirSync(path.join(server.dataDir, 'repos')).sort();
  const names: unknown[] = [...HOSTILE, 'a'.repeat(31), '-leading', 'trailing-', 'dou--ble', 123, null, true, ['a'], { name: 'a' }];
  for (const name of names) {
    const res = await raw('POST', '/api/apps', JSON.stringify({ name }));
    assertClientError(t, res, `app name ${show(name)}`, /^invalid_(name|body)$/);
  }
  t.deepEqual(fs.readdirSync(path.join(server.dataDir, 'repos')).sort(), reposBefore, 'no repository was created');
  t.deepEqual((await server.api('GET', '/api/apps')).body.map((a: { name: string }) => a.name), [APP]);
  t.false(fs.existsSync(path.join(server.dataDir, 'etc.git')));
  t.false(fs.existsSync(path.join(path.dirname(server.dataDir), 'etc.git')));
});

test.serial('config keys: hostile keys are 400 invalid_config_key and change nothing', async (t) => {
  const before = (await server.api('GET', `/api/apps/${APP}/config`)).body;
  const releases = await releaseCount();
  const keys = [...HOSTILE.filter((k) => k !== 'APP'), 'A;B', 'A B', '1ABC', 'A-B', 'A.B', 'A=B', 'K'.repeat(129), '\u0410BC', '\uff21BC', 'A\u200dB', 'A\u0000B'];
  for (const key of keys) {
    // Built by hand: `__proto__` must arrive as a key, which an object literal would not produce.
    const res = await raw('PATCH', `/api/apps/${APP}/config`, `{${JSON.stringify(key)}: "v"}`);
    // A __proto__ key is refused with the body, before any key is looked at.
    assertClientError(t, res, `config key ${show(key)}`, key === '__proto__' ? 'invalid_body' : 'invalid_config_key');
  }
  t.deepEqual((await server.api('GET', `/api/apps/${APP}/config`)).body, before);
  t.is(await releaseCount(), releases, 'no release was made');
});

test.serial('config values: NUL, more than 32 KiB and non-strings are refused; 32 KiB exactly is fine', async (t) => {
  const before = (await server.api('GET', `/api/apps/${APP}/config`)).body;
  for (const value of ['a\u0000b', '\u0000', 'x'.repeat(32 * 1024 + 1), 'y'.repeat(100 * 1024)]) {
    const res = await raw('PATCH', `/api/apps/${APP}/config`, JSON.stringify({ BIG: value }));
    assertClientError(t, res, `value ${show(value)}`, 'invalid_config_value');
  }
  for (const value of [1, true, { a: 1 }, ['x'], 1e400]) {
    const res = await raw('PATCH', `/api/apps/${APP}/config`, `{"BIG": ${value === 1e400 ? '1e400' : JSON.stringify(value)}}`);
    assertClientError(t, res, `value ${show(value)}`, 'invalid_body');
  }
  for (const body of ['{}', '[]', '[["A","b"]]', 'null', '"A=b"', '{"A":"b"', 'A=b']) {
    const res = await raw('PATCH', `/api/apps/${APP}/config`, body);
    assertClientError(t, res, `body ${body}`, 'invalid_body');
  }
  t.deepEqual((await server.api('GET', `/api/apps/${APP}/config`)).body, before, 'nothing was stored');
});

test.serial('hostile config values are inert data: stored, restarted with, and read back byte for byte', async (t) => {
  const values: Record<string, string> = Object.fromEntries([
    ...HOSTILE.filter((v) => !v.includes('\u0000')).map((v, i) => [`HOSTILE_${i}`, v]),
    ['EXACTLY_32K', 'z'.repeat(32 * 1024)],
    ['NODE_ENV_LIKE', `production\nNODE_OPTIONS=--require /tmp/${MARK}`],
    // Keys that name Object.prototype members must be plain data too.
    ['constructor', 'not a function'], ['toString', 'not a function either'], ['hasOwnProperty', 'x'], ['valueOf', '1'],
  ]);
  const set = await server.api('PATCH', `/api/apps/${APP}/config`, values);
  t.is(set.status, 200, JSON.stringify(set.body).slice(0, 300));
  t.deepEqual(set.body.config, values);
  t.truthy(set.body.release, 'a live app restarts with the new values');
  t.deepEqual((await server.api('GET', `/api/apps/${APP}/config`)).body, values);
  const served = await getViaRouter(server.routerPort, HOST);
  t.is(served.status, 200);
  t.is(served.body, 'hello from v1', 'the app restarted with them and serves');
  // Unset them again (null unsets), in one go.
  const unset = await server.api('PATCH', `/api/apps/${APP}/config`, Object.fromEntries(Object.keys(values).map((k) => [k, null])));
  t.is(unset.status, 200);
  t.deepEqual((await server.api('GET', `/api/apps/${APP}/config`)).body, {});
});

test.serial('user names and emails: hostile ones are refused; a smuggled __proto__ makes nobody an admin', async (t) => {
  const before = (await server.api('GET', '/api/users')).body.map((u: { name: string }) => u.name);
  for (const name of [...HOSTILE, 'root;', 'admin\n', 'Admin', 'аdmin', 42, null]) {
    assertClientError(t, await raw('POST', '/api/users', JSON.stringify({ name })), `user name ${show(name)}`, 'invalid_name');
  }
  for (const email of ['a@b.c; touch x', '"><script>@x.org', 'a@b', `$(touch ${MARK})@x.org`, 'x'.repeat(300) + '@x.org', 'a\n@b.c', 42]) {
    assertClientError(t, await raw('POST', '/api/users', JSON.stringify({ name: 'mallory', email })), `email ${show(email)}`, 'invalid_body');
  }
  t.deepEqual((await server.api('GET', '/api/users')).body.map((u: { name: string }) => u.name), before);

  const smuggled = await raw('POST', '/api/users', '{"name": "proto-user", "admin": "true", "__proto__": {"admin": true}, "constructor": {"prototype": {"admin": true}}}');
  assertClientError(t, smuggled, 'a smuggled __proto__', 'invalid_body');
  t.regex(smuggled.body.error.message, /no key may be named __proto__/);
  const constructed = await raw('POST', '/api/users', '{"name": "proto-user", "admin": "true", "constructor": {"prototype": {"admin": true}}}');
  t.is(constructed.status, 201, constructed.text);
  t.false(constructed.body.user.admin, 'neither "true" nor constructor.prototype makes an admin');
  const plain = await server.api('POST', '/api/users', { name: 'plain-user' });
  t.false(plain.body.user.admin, 'no prototype was polluted');
  const users = (await server.api('GET', '/api/users')).body as Array<{ name: string; admin: boolean }>;
  t.deepEqual(users.filter((u) => u.admin).map((u) => u.name), ['admin']);
});

test.serial('token names, expiries and roles: hostile ones are refused and create no token', async (t) => {
  const before = (await server.api('GET', '/api/tokens')).body;
  for (const name of HOSTILE) {
    assertClientError(t, await raw('POST', '/api/tokens', JSON.stringify({ name })), `token name ${show(name)}`, 'invalid_name');
  }
  for (const expires of ['$(id)', '-1d', '0d', '99999d', '1e9d', '2000-01-01', '9999-12-31', 'now; touch x', 'x'.repeat(10_000)]) {
    assertClientError(t, await raw('POST', '/api/tokens', JSON.stringify({ name: 'ci', expires })), `expires ${show(expires)}`, 'invalid_expiry');
  }
  // Too far ahead: the hint says how far is allowed.
  const tooFar = await raw('POST', '/api/tokens', JSON.stringify({ name: 'ci', expires: '2099-01-01' }));
  t.regex(JSON.stringify(tooFar.body), /at most 10 years \(3650d\) ahead/);
  for (const role of ['admin', 'root', 'Viewer', 'viewer ', 'viewer\n', '__proto__', 'constructor', 'toString', '', ['viewer'], { role: 'viewer' }, 1]) {
    assertClientError(t, await raw('POST', '/api/tokens', JSON.stringify({ name: 'ci', role })), `token role ${show(role)}`, 'invalid_role');
  }
  for (const app of ['../victim', `${APP};x`, '$(id)']) {
    assertClientError(t, await raw('POST', '/api/tokens', JSON.stringify({ name: 'ci', app })), `token scope ${show(app)}`, 'invalid_name');
  }
  t.deepEqual((await server.api('GET', '/api/tokens')).body, before);
});

test.serial('grants: hostile roles, users and scopes are refused and grant nothing', async (t) => {
  for (const role of ['admin', 'owner', 'Manager', 'manager;', '__proto__', 'constructor', '', null, ['manager'], 3]) {
    assertClientError(t, await raw('POST', '/api/access', JSON.stringify({ user: 'alice', app: APP, role })), `role ${show(role)}`, 'invalid_role');
  }
  for (const user of [`alice;touch ${MARK}`, '$(id)', '../alice', 'ALICE', '\u0430lice', 'x'.repeat(10_000)]) {
    assertClientError(t, await raw('POST', '/api/access', JSON.stringify({ user, app: APP, role: 'viewer' })), `user ${show(user)}`, /^(user_not_found|invalid_name)$/);
  }
  for (const scope of [{ app: '../victim' }, { app: `${APP} ` }, { app: APP, cluster: 'local' }, {}, { cluster: '$(id)' }, { app: ['victim'] }]) {
    assertClientError(t, await raw('POST', '/api/access', JSON.stringify({ user: 'alice', role: 'viewer', ...scope })), `scope ${show(scope)}`, /^invalid_(name|body)$/);
  }
  assertClientError(t, await raw('POST', '/api/access', JSON.stringify({ user: 'alice', app: APP, role: 'viewer', ssh: true })), 'ssh on an app', 'invalid_body');
  t.deepEqual((await server.api('GET', '/api/access?user=alice')).body, []);
});

/** An OpenSSH public key line for a fresh ed25519 key. */
function sshKey(comment: string): { line: string; privatePem: string } {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const field = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  const blob = Buffer.concat([field(Buffer.from('ssh-ed25519')), field(der.subarray(der.length - 32))]);
  return { line: `ssh-ed25519 ${blob.toString('base64')} ${comment}`.trimEnd(), privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

test.serial('SSH keys: private keys, garbage and injected options are refused; a hostile comment is inert', async (t) => {
  const { line, privatePem } = sshKey('alice@laptop');
  const [, blob] = line.split(' ');
  const secretBody = privatePem.split('\n')[1]!;
  const openssh = `-----BEGIN OPENSSH PRIVATE KEY-----\n${Buffer.from('openssh-key-v1 fake').toString('base64')}\n-----END OPENSSH PRIVATE KEY-----\n`;
  const rsaBlob = Buffer.concat([Buffer.from([0, 0, 0, 7]), Buffer.from('ssh-rsa'), crypto.randomBytes(64)]).toString('base64');
  const bad: unknown[] = [
    privatePem, openssh, '', 'hello', 'ssh-ed25519', 'ssh-ed25519 !!!!', 'ssh-ed25519 AAAA', `ssh-rsa ${blob}`, `ssh-ed25519 ${rsaBlob}`,
    `command="touch /tmp/${MARK}" ${line}`, `no-pty,command="id" ${line}`, `${line}\n${line}`, `${line}\r\nssh-ed25519 ${blob}`,
    `${line}\u0000`, `ssh-dss ${blob}`, `ssh-ed25519 ${'A'.repeat(20_000)}`, 42, null, [line], { publicKey: line },
  ];
  for (const publicKey of bad) {
    const res = await raw('POST', '/api/keys', JSON.stringify({ publicKey }));
    assertClientError(t, res, `key ${show(publicKey)}`, 'invalid_key');
    t.false(res.text.includes(secretBody), 'a private key is never echoed');
  }
  t.regex((await raw('POST', '/api/keys', JSON.stringify({ publicKey: privatePem }))).body.error.message, /private key/);
  t.deepEqual((await server.api('GET', '/api/keys')).body, [], 'no key was stored');
  const audit = (await server.api('GET', '/api/audit?limit=500')).body;
  t.false(JSON.stringify(audit).includes(secretBody), 'the private key is not in the audit log');

  const hostileComment = `$(touch ${MARK});\`touch ${MARK}\`|rm -rf ~ \u001b[31m\u0007`;
  const added = await server.api('POST', '/api/keys', { publicKey: sshKey(hostileComment).line });
  t.is(added.status, 201, JSON.stringify(added.body));
  t.is(added.body.comment, `$(touch ${MARK});\`touch ${MARK}\`|rm -rf ~ [31m`, 'the comment is kept as printable text only');
  t.is((await server.api('DELETE', `/api/keys/${encodeURIComponent(added.body.fingerprint)}`)).status, 204);
});

test.serial('path parameters: traversal and injection in URLs find nothing and read nothing', async (t) => {
  const cases: Array<[string, string, number, string?]> = [
    ['GET', '/api/apps/..%2F..%2Fetc%2Fpasswd', 404, 'app_not_found'],
    ['GET', '/api/apps/%2e%2e/config', 404],
    ['GET', `/api/apps/$(touch%20${MARK})`, 404, 'app_not_found'],
    ['GET', `/api/apps/${APP}%00/config`, 404, 'app_not_found'],
    ['GET', `/api/apps/${APP}/builds/..%2F..%2Fscalarium.sqlite/log`, 404, 'build_not_found'],
    ['GET', `/api/apps/${APP}/builds/1%2F..%2F..%2F..%2Fsecret.key/log`, 404, 'build_not_found'],
    ['GET', `/api/apps/${APP}/builds/-1/log`, 404, 'build_not_found'],
    ['GET', `/api/apps/${APP}/releases/..%2Fv1`, 400, 'invalid_version'],
    ['GET', `/api/apps/${APP}/releases/$(id)`, 400, 'invalid_version'],
    ['GET', `/api/apps/${APP}/releases/v99999999999`, 400, 'invalid_version'],
    ['DELETE', '/api/tokens/..%2F..%2Finitial', 404, 'token_not_found'],
    ['DELETE', '/api/keys/%00', 404, 'key_not_found'],
    ['DELETE', `/api/users/$(touch%20${MARK})`, 404, 'user_not_found'],
    ['POST', '/api/users/..%2Fadmin/disable', 404, 'user_not_found'],
  ];
  for (const [method, url, status, code] of cases) {
    const res = await raw(method, url);
    t.is(res.status, status, `${method} ${url} → ${res.status} ${res.text.slice(0, 200)}`);
    if (code) t.is(res.body?.error?.code, code, url);
    t.false(res.text.includes('BEGIN') || /^[A-Za-z0-9+/=]{40,}$/m.test(res.text), `${url}: no file content`);
  }
  // Log line counts are clamped numbers, whatever is asked.
  for (const lines of ['-1', '1e9', '$(id)', '0x10', 'NaN']) {
    t.is((await raw('GET', `/api/apps/${APP}/logs?lines=${encodeURIComponent(lines)}`)).status, 200, `lines=${lines}`);
  }
  // Git paths: nothing but <app>.git/<service> reaches git, and only for existing apps.
  const basic = `Basic ${Buffer.from(`x:${server.token}`).toString('base64')}`;
  for (const gitPath of [
    `/../${APP}.git/info/refs?service=git-upload-pack`, `/..%2F${APP}.git/info/refs?service=git-upload-pack`,
    '/--upload-pack=touch%20x.git/info/refs?service=git-upload-pack', `/${APP}.git/../../scalarium.sqlite`,
    `/${APP}.git/objects/info/packs`, `/${APP}.git/config`, `/${APP}.git/hooks/pre-receive`, '/.git/info/refs', '/repos/victim.git/info/refs',
  ]) {
    const status = await new Promise<number>((resolve, reject) => {
      const u = new URL(server.url);
      http.get({ host: u.hostname, port: u.port, path: gitPath, headers: { authorization: basic } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
    t.is(status, 404, `${gitPath} → ${status}`);
  }
});

test.serial('formation, restart and rollback: hostile process types and versions are refused', async (t) => {
  const before = (await server.api('GET', `/api/apps/${APP}`)).body;
  const releases = await releaseCount();
  const formations = [
    `{"web;touch ${MARK}": 1}`, '{"web": "1; touch x"}', '{"web": 1e9}', '{"web": -1}', '{"web": 1.5}', '{"__proto__": 1}',
    '{"constructor": 1}', '{"toString": 1}', '{"../web": 1}', '{}', '[]', '{"web": null}',
  ];
  for (const body of formations) {
    assertClientError(t, await raw('PATCH', `/api/apps/${APP}/formation`, body), `formation ${body}`, /^invalid_(formation|body)$/);
  }
  for (const type of [`$(touch ${MARK})`, '../web', '__proto__', 'constructor', 7, ['web']]) {
    assertClientError(t, await raw('POST', `/api/apps/${APP}/restart`, JSON.stringify({ type })), `restart type ${show(type)}`, 'unknown_process_type');
  }
  for (const version of ['$(id)', '../1', -1, 1e100, 'v1; touch x', '0x1', ' 1', 'v', { v: 1 }]) {
    assertClientError(t, await raw('POST', `/api/apps/${APP}/rollback`, JSON.stringify({ version })), `rollback ${show(version)}`, 'invalid_version');
  }
  t.is(await releaseCount(), releases);
  const after = (await server.api('GET', `/api/apps/${APP}`)).body;
  t.deepEqual(after.formation, before.formation);
  t.deepEqual(after.release, before.release);
});

test.serial('request bodies: malformed, huge, deep or of the wrong type get 4xx, never 500', async (t) => {
  const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
  const bodies: Array<[string, string, string | undefined]> = [
    ['POST', '/api/apps', '{"name": "x"'], ['POST', '/api/apps', 'name=x'], ['POST', '/api/apps', deep], ['POST', '/api/users', '[]'], ['POST', '/api/tokens', '42'],
    ['POST', '/api/access', '"alice"'], ['PATCH', `/api/apps/${APP}/config`, deep], ['POST', '/api/keys', '\u0000'],
  ];
  for (const [method, url, body] of bodies) {
    const res = await raw(method, url, body);
    t.true(res.status >= 400 && res.status < 500, `${method} ${url} ${show(body)} → ${res.status} ${res.text.slice(0, 200)}`);
  }
  const huge = await raw('PATCH', `/api/apps/${APP}/config`, JSON.stringify({ BIG: 'x'.repeat(2 * 1024 * 1024) }));
  t.is(huge.status, 413);
  t.is(huge.body.error.code, 'body_too_large');
  const token = await raw('GET', '/api/apps', undefined, { token: `scl_${'x'.repeat(10_000)}` });
  t.is(token.status, 401);
  t.deepEqual((await server.api('GET', `/api/apps/${APP}/config`)).body, {});
});

/** Fields whose validators stringify what they refuse; a nested array makes String() recurse. */
const DEEP_FIELDS: Array<[string, string, (deep: string) => string]> = [
  ['POST', '/api/apps', (d) => `{"name": ${d}}`],
  ['POST', '/api/users', (d) => `{"name": ${d}}`],
  ['POST', '/api/tokens', (d) => `{"name": ${d}}`],
  ['POST', '/api/tokens', (d) => `{"name": "deep-role", "role": ${d}}`],
  ['POST', '/api/tokens', (d) => `{"name": "deep-expiry", "expires": ${d}}`],
  ['POST', '/api/access', (d) => `{"user": ${d}, "app": "${APP}", "role": "viewer"}`],
  ['POST', '/api/access', (d) => `{"user": "alice", "app": "${APP}", "role": ${d}}`],
  ['POST', '/api/access', (d) => `{"user": "alice", "app": ${d}, "role": "viewer"}`],
  ['POST', `/api/apps/${APP}/rollback`, (d) => `{"version": ${d}}`],
  ['POST', `/api/apps/${APP}/restart`, (d) => `{"type": ${d}}`],
  ['PATCH', `/api/apps/${APP}/formation`, (d) => `{"web": ${d}}`],
  ['PATCH', `/api/apps/${APP}/config`, (d) => `{"A": ${d}}`],
  ['POST', '/api/keys', (d) => `{"publicKey": ${d}}`],
];

// Was a known bug (fixed): assertName (server/core/names.ts) and other validators build their error
// with String(value) of whatever JSON arrived; a nested array 5,000 levels deep (10 KB) makes it
// recurse past the stack, and the request ends as 500 internal instead of 400.
test.serial('a deeply nested JSON value in any field is a 400, not a 500', async (t) => {
  const deep = `${'['.repeat(5_000)}${']'.repeat(5_000)}`;
  const answers: string[] = [];
  for (const [method, url, body] of DEEP_FIELDS) {
    const res = await raw(method, url, body(deep));
    answers.push(`${method} ${url} ${body('[…]')} → ${res.status} ${res.body?.error?.code}`);
  }
  t.deepEqual(answers.filter((a) => / → (5\d\d|2\d\d) /.test(a)), [], answers.join('\n'));
});

const OBJECT_BODY_ROUTES: Array<[string, string]> = [
  ['POST', '/api/apps'], ['POST', '/api/users'], ['POST', '/api/tokens'], ['POST', '/api/access'], ['POST', '/api/access/revoke'],
  ['POST', '/api/keys'], ['POST', `/api/apps/${APP}/rollback`], ['POST', `/api/apps/${APP}/restart`], ['PATCH', `/api/apps/${APP}/formation`],
  ['PATCH', `/api/apps/${APP}/config`], ['POST', '/api/clusters'], ['PATCH', '/api/clusters/local/roles'],
];

// Was a known bug (fixed): readJson (server/http/json-body.ts) returns null for the valid JSON body
// `null`, and the handlers read properties of it: TypeError, 500 internal, a stack trace in the log.
test.serial('a JSON body of null is a 400 on every route that takes an object, never a 500', async (t) => {
  const answers: string[] = [];
  for (const [method, url] of OBJECT_BODY_ROUTES) answers.push(`${method} ${url} → ${(await raw(method, url, 'null')).status}`);
  t.deepEqual(answers.filter((a) => / → 5\d\d$/.test(a)), [], answers.join('\n'));
});

test.serial('audit filters are data, not SQL', async (t) => {
  const all = (await server.api('GET', '/api/audit?limit=5000')).body as unknown[];
  t.true(all.length > 10);
  const q = (params: Record<string, string>) => raw('GET', `/api/audit?${new URLSearchParams(params)}`);
  for (const actor of ["admin' OR '1'='1", 'admin" --', 'admin; DROP TABLE audit', '%', '_dmin', '*', 'x'.repeat(10_000)]) {
    const res = await q({ actor });
    t.is(res.status, 200, actor);
    t.deepEqual(res.body, [], `actor ${show(actor)} matches nothing`);
  }
  for (const target of [`${APP}' --`, `${APP}%`, '%']) t.deepEqual((await q({ target })).body, [], `target ${show(target)}`);
  t.true(((await q({ actor: 'admin' })).body as unknown[]).length > 0, 'a real filter still works');
  const badFilters: Array<Record<string, string>> = [{ since: '$(id)' }, { since: '1y' }, { since: "1d' OR 1=1" }, { outcome: "ok' OR '1'='1" }, { outcome: 'OK' }];
  for (const params of badFilters) {
    assertClientError(t, await q(params), `audit ${show(params)}`, 'invalid_body');
  }
  t.is(((await q({ limit: '-5' })).body as unknown[]).length, 1);
  const total = ((await server.api('GET', '/api/audit?limit=5000')).body as unknown[]).length;
  t.is(((await q({ limit: '1;DROP TABLE audit' })).body as unknown[]).length, Math.min(100, total), 'a non-number limit is the default');
  t.true(((await server.api('GET', '/api/audit?limit=5000')).body as unknown[]).length >= all.length, 'the audit table is intact');
});

test.serial('branch names over git: stored as refs, never run; the deploy branch cannot be deleted', async (t) => {
  const releases = await releaseCount();
  const branches = [
    `feature/$(touch\${IFS}${MARK})`, `x;touch\${IFS}${MARK}`, `a\`touch\${IFS}${MARK}\`b`, `a|touch\${IFS}${MARK}&&b`, '--help',
    `--upload-pack=touch\${IFS}/tmp/${MARK}`, '\u00fcn\u00ef', `x$(rm\${IFS}-rf\${IFS}${CANARY})`, `y;touch\${IFS}${CANARY}/${MARK}`,
  ];
  await repo.git('checkout', '-q', '-b', 'side');
  t.teardown(() => repo.git('checkout', '-q', 'main').then(() => undefined));
  setResponse(repo, 'side work');
  const commit = await repo.commit('side');
  for (const branch of branches) {
    let output = '';
    let code = 0;
    try {
      const res = await repo.git('push', '--porcelain', remote, `HEAD:refs/heads/${branch}`);
      output = res.stdout + res.stderr;
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string };
      code = 1;
      output = `${e.stdout ?? ''}${e.stderr ?? ''}`;
    }
    t.is(code, 0, `${branch}: ${output}`);
    t.regex(output, /Stored. Only pushes to main deploy /, branch);
    t.is(await remoteRef(`refs/heads/${branch}`), commit, `${branch} is stored as it was pushed`);
  }
  const deleteMain = await repo.git('push', '--porcelain', remote, ':refs/heads/main').then(
    (r) => ({ code: 0, output: r.stdout + r.stderr }),
    (e: { stdout?: string; stderr?: string }) => ({ code: 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` }),
  );
  t.not(deleteMain.code, 0);
  t.regex(deleteMain.output, /Deleting main is not allowed: it is the deploy branch/, deleteMain.output);
  t.truthy(await remoteRef('refs/heads/main'), 'main is still there');
  t.is(await releaseCount(), releases, 'nothing was built or released');
  t.is((await getViaRouter(server.routerPort, HOST)).body, 'hello from v1');
});

// 127.0.0.2 plays a host on the internet: the server allows it (SCALARIUM_OUTBOUND_ALLOW), but
// nothing listens on port 1 there.
const DEAD_HOST = 'http://127.0.0.2:1/x.tgz';
let deadHostOutput = '';

/** A tarball whose only member climbs out of wherever it is unpacked. */
function evilTarball(dir: string): string {
  fs.writeFileSync(path.join(dir, 'payload'), 'climbed out\n');
  const tarball = path.join(dir, 'evil.tgz');
  execFileSync('tar', ['-czPf', tarball, '-C', dir, '--transform', `s,^payload,../../../../../../${MARK}-tar,`, 'payload']);
  const listing = execFileSync('tar', ['-tzPf', tarball]).toString();
  if (!listing.includes(`../${MARK}-tar`)) throw new Error(`the evil tarball is not evil: ${listing}`);
  return tarball;
}

test.serial('BUILDPACK_URL: local files, options, dead hosts and climbing tarballs fail the build clearly; nothing served changes', async (t) => {
  filesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scalarium-evil-'));
  const tarball = evilTarball(filesDir);
  files = http.createServer((req, res) => {
    if (req.url === '/evil.tgz') fs.createReadStream(tarball).pipe(res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => files!.listen(0, '127.0.0.2', () => r()));
  const evilUrl = `http://127.0.0.2:${(files.address() as AddressInfo).port}/evil.tgz`;

  const cases: Array<[string, RegExp]> = [
    ['file:///etc/passwd', /must be http\(s\)/],
    ['-rf', /neither a built-in name, an absolute path nor a URL/],
    [`$(touch ${MARK})`, /neither a built-in name, an absolute path nor a URL/],
    ['/etc', /buildpacks from the server's own directories are for operators/],
    [DEAD_HOST, /Build failed: .*127\.0\.0\.2:1/],
    // The loopback address proper (this server, its router, its agents) is never fetched.
    [evilUrl.replace('127.0.0.2', '127.0.0.1'), /refused to fetch .*loopback/],
    // Members that climb out are refused before anything is written.
    [evilUrl, /entry whose path contains "\.\."/],
  ];
  await repo.git('checkout', '-q', 'main');
  setResponse(repo, 'must never be served');
  await repo.commit('would change what is served');
  const main = await remoteRef('refs/heads/main');
  for (const [url, reason] of cases) {
    const set = await server.api('PATCH', `/api/apps/${APP}/config`, { BUILDPACK_URL: url });
    t.is(set.status, 200, JSON.stringify(set.body));
    const releases = await releaseCount();
    const push = await repo.push(remote);
    t.not(push.code, 0, `${url}: ${push.output}`);
    t.regex(push.output, reason, `${url}: ${push.output}`);
    t.regex(push.output, /Push rejected; the previous release keeps serving/);
    if (url === DEAD_HOST) deadHostOutput = push.output;
    t.is(await releaseCount(), releases, `${url}: no release`);
    t.is(await remoteRef('refs/heads/main'), main, `${url}: main did not move`);
    const served = await getViaRouter(server.routerPort, HOST);
    t.is(served.status, 200);
    t.is(served.body, 'hello from v1', `${url}: v1 keeps serving`);
  }
  const builds = (await server.api('GET', `/api/apps/${APP}/builds`)).body as Array<{ status: string }>;
  t.is(builds.filter((b) => b.status === 'failed').length, cases.length, 'each attempt is a failed build with its log');
  t.false(fs.existsSync(path.join(path.dirname(server.dataDir), `${MARK}-tar`)), 'the tarball did not climb out');
  t.false(fs.existsSync(path.join(os.tmpdir(), `${MARK}-tar`)));
});

// Was a known issue (fixed): resolveBuildpack (server/build/buildpack-runner.ts) lets fetch()'s bare
// "fetch failed" through, so the push says only "Build failed: fetch failed" — neither the URL nor
// the cause (connection refused) — for a buildpack that cannot be downloaded.
test.serial('a buildpack that cannot be downloaded is named in the build failure, with the reason', (t) => {
  t.truthy(deadHostOutput, 'the BUILDPACK_URL test ran');
  t.regex(deadHostOutput, /Build failed: .*127\.0\.0\.2:1\/x\.tgz/);
  t.regex(deadHostOutput, /ECONNREFUSED|connection refused|bad port/i); // fetch refuses port 1 outright
});

/** Every path under dir (files and directories). */
function walk(dir: string, out: string[] = []): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const full = path.join(dir, e.name);
    out.push(full);
    if (e.isDirectory() && !e.isSymbolicLink()) walk(full, out);
  }
  return out;
}

const KNOWN_TOP_LEVEL = new Set([
  'scalarium.sqlite', 'scalarium.sqlite-wal', 'scalarium.sqlite-shm', 'scalarium.sqlite-journal', 'secret.key', 'initial-admin-token',
  'plugins.json', 'agent-bundle', 'repos', 'slugs', 'builds', 'tmp', 'logs', 'instances',
]);

test.serial('nothing ran: no canary anywhere, and the data dir holds only what Scalarium puts there', async (t) => {
  const topLevel = (dir: string) => {
    try {
      return fs.readdirSync(dir).filter((e) => e.startsWith(MARK)).map((e) => path.join(dir, e));
    } catch {
      return [];
    }
  };
  const hits = [
    ...topLevel('/tmp'), ...topLevel(os.tmpdir()), ...topLevel(process.cwd()), ...topLevel(path.dirname(server.dataDir)),
    ...topLevel(os.homedir()), ...topLevel(repo.dir), ...topLevel('/'),
    // Inside the data dir, a file named exactly like the canary means a payload ran (branch names
    // that merely contain it are refs, and the climbing tarball may land inside its own cache dir).
    ...walk(server.dataDir).filter((p) => path.basename(p) === MARK && !/\.git\/(logs\/)?refs\//.test(p)),
    ...walk(path.join(server.dataDir, 'instances')).filter((p) => path.basename(p).startsWith(MARK)),
    // Where apps and builds work (outside the data dir).
    ...walk(server.appsDir).filter((p) => path.basename(p).startsWith(MARK)),
  ];
  t.deepEqual(hits, [], 'no payload was executed');
  t.deepEqual(fs.readdirSync(CANARY), ['keep'], 'the canary directory is as it was');
  t.is(fs.readFileSync(path.join(CANARY, 'keep'), 'utf8'), 'untouched\n');
  const strays = fs.readdirSync(server.dataDir).filter((e) => !KNOWN_TOP_LEVEL.has(e));
  t.deepEqual(strays, [], `unexpected entries in the data dir: ${strays.join(', ')}`);
  for (const dir of [path.join(server.dataDir, 'repos'), path.join(server.dataDir, 'logs'), path.join(server.appsDir, 'builds')]) {
    const names = fs.readdirSync(dir).map((e) => e.replace(/\.(git|log)$/, ''));
    t.deepEqual([...new Set(names)].filter((n) => n !== APP), [], `${dir} holds only the app's own entries`);
  }
  const tmp = path.join(server.dataDir, 'tmp');
  t.deepEqual(fs.existsSync(tmp) ? fs.readdirSync(tmp) : [], [], 'nothing is left in tmp');
  t.deepEqual(fs.readdirSync(path.join(server.appsDir, 'builds', APP)).filter((e) => e.startsWith('work-')), [], 'build work dirs are cleaned up');
  // Internal errors print their stack to the server log; none may appear but the two known bugs'.
  const internal = server.output().split('\n').filter((l) => /^\d{4}-\d\d-\d\dT\S+ [A-Z]+ \/\S*: |^push of \S+ failed: /.test(l));
  const unexpected = internal.filter((l) => !/TypeError: Cannot read properties of null|RangeError: Maximum call stack size exceeded/.test(l));
  t.deepEqual(unexpected, [], 'no other internal error was logged');
});
