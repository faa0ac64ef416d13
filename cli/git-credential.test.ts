// Tests of `scalarium git-credential` (git's credential helper protocol) and of the git setup made
// by `apps:create` and `git:remote`: the remote holds the plain URL, .git/config no token, and the
// real git gets the token from the helper, a real subprocess of git, to talk to a real server
// (test/helpers/harness.ts) that holds the app's repository.
import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { configPath } from './config-store.ts';
import { credentialAnswer, helperCommand, parseCredentialRequest, requestOrigin } from './credential-helper.ts';
import { cli, execFileAsync, git, gitRepo, must, ROOT, sandbox, testServer } from './test-support.ts';

const TOKEN = 'sc_test_token'; // for the protocol functions: any text will do

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A subprocess with `input` on its stdin. */
function runWithInput(command: string, args: string[], options: { cwd: string; env: Record<string, string | undefined>; input: string }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input);
  });
}

/** Git as a user runs it, unable to prompt: no terminal, no askpass program. */
function noPrompt(env: Record<string, string | undefined>): Record<string, string | undefined> {
  return { ...env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '', SSH_ASKPASS: undefined };
}

/** A real server and a sandbox whose saved login (config.json) points at it. */
async function savedLogin(t: ExecutionContext) {
  const server = await testServer(t);
  const box = await sandbox(t);
  const cwd = join(box.dir, 'work');
  const login = await cli(['login', '--server', server.url, '--token', server.token], { env: box.env, cwd });
  t.is(login.code, 0, login.stderr);
  return { server, url: server.url, token: server.token, ...box, cwd, host: new URL(server.url).host };
}

// ---------------------------------------------------------------------------------------------
// the protocol, as functions

test('parseCredentialRequest reads key=value lines up to the blank line', (t) => {
  t.deepEqual(parseCredentialRequest('protocol=https\nhost=paas.example.com\npath=shop.git\ncapability[]=authtype\nwwwauth[]=Basic realm="x"\n\nignored=1\n'),
    { protocol: 'https', host: 'paas.example.com', path: 'shop.git' });
  t.deepEqual(parseCredentialRequest('protocol=http\r\nhost=h:1\r\n\r\n'), { protocol: 'http', host: 'h:1' });
  t.deepEqual(parseCredentialRequest('password=a=b\nnonsense\n=x\n'), { password: 'a=b' });
  t.deepEqual(parseCredentialRequest(''), {});
});

test('credentialAnswer answers only for the origin of the logged-in server', (t) => {
  const answer = `username=scalarium\npassword=${TOKEN}\n`;
  const ask = (fields: Record<string, string>, server = 'http://127.0.0.1:5050', token = TOKEN) => credentialAnswer(fields, server, token);
  t.is(ask({ protocol: 'http', host: '127.0.0.1:5050' }), answer);
  t.is(ask({ protocol: 'http', host: '127.0.0.1:5050', path: 'shop.git', username: 'someone' }), answer);
  t.is(ask({ protocol: 'HTTP', host: '127.0.0.1:5050' }), answer);
  t.is(ask({ url: 'http://127.0.0.1:5050/shop.git' }), answer);
  t.is(ask({ protocol: 'https', host: 'PaaS.Example.com' }, 'https://paas.example.com/prefix'), answer, 'host case and a path prefix do not matter');
  t.is(ask({ protocol: 'https', host: 'paas.example.com:443' }, 'https://paas.example.com'), answer, 'the default port is the same origin');
  t.is(ask({ protocol: 'http', host: '[::1]:5050' }, 'http://[::1]:5050'), answer);

  for (const fields of [
    { protocol: 'http', host: '127.0.0.1:5051' }, // another port
    { protocol: 'http', host: '127.0.0.1' }, // no port: 80
    { protocol: 'https', host: '127.0.0.1:5050' }, // another protocol
    { protocol: 'http', host: 'localhost:5050' }, // another name for it is another host
    { protocol: 'http', host: 'evil.example.com' },
    { protocol: 'http', host: 'evil.example.com@127.0.0.1:5050' }, // no user info smuggled into host
    { protocol: 'http', host: '127.0.0.1:5050/x' },
    { protocol: 'http', host: '127.0.0.1:5050.evil.example.com' },
    { protocol: 'ssh', host: '127.0.0.1:5050' },
    { protocol: 'http' },
    { host: '127.0.0.1:5050' },
    { url: 'http://127.0.0.1:5051/shop.git' },
    {},
  ] as Record<string, string>[]) {
    t.is(ask(fields), '', JSON.stringify(fields));
  }
  t.is(credentialAnswer({ protocol: 'http', host: '127.0.0.1:5050' }, 'http://127.0.0.1:5050', undefined), '', 'no token, no answer');
  t.is(ask({ protocol: 'http', host: '127.0.0.1:5050' }, 'http://127.0.0.1:5050', 'a\nb'), '', 'a token that breaks the protocol');
  t.is(credentialAnswer({ protocol: 'http', host: '127.0.0.1:5050' }, undefined, TOKEN), '', 'no server, no answer');
  t.is(requestOrigin({ protocol: 'http', host: 'Example.com:80' }), 'http://example.com');
});

test('the helper command quotes both paths for the shell git runs it with', async (t) => {
  t.is(helperCommand('/usr/bin/node', '/opt/scalarium/bin/scalarium.js'), "!'/usr/bin/node' '/opt/scalarium/bin/scalarium.js' git-credential");
  t.is(helperCommand("/it's/node", '/a b/$HOME/bin.js'), "!'/it'\\''s/node' '/a b/$HOME/bin.js' git-credential");
  t.true(helperCommand().startsWith(`!'${process.execPath}' '`));
  t.true(helperCommand().endsWith(`/bin/scalarium.js' git-credential`));
  t.true(helperCommand().includes(ROOT.replace(/\/$/, '')));

  // through a real shell, as git runs it: the paths arrive as single arguments, nothing expands
  const box = await sandbox(t);
  const dir = join(box.dir, "it's a $(dir)");
  await mkdir(dir);
  const fakeNode = join(dir, 'print-args');
  await writeFile(fakeNode, '#!/bin/sh\nfor arg in "$@"; do printf "<%s>\\n" "$arg"; done\n');
  await chmod(fakeNode, 0o755);
  const { stdout } = await execFileAsync('sh', ['-c', `${helperCommand(fakeNode, '/a b/$HOME/`x`.js').slice(1)} get`]);
  t.is(stdout, '</a b/$HOME/`x`.js>\n<git-credential>\n<get>\n');
});

// ---------------------------------------------------------------------------------------------
// the command, in-process

test('git-credential get prints username and token for the server only; store and erase are ignored', async (t) => {
  const api = await savedLogin(t);
  const opts = { env: api.env, cwd: api.cwd };
  const get = await cli(['git-credential', 'get'], { ...opts, stdin: `protocol=http\nhost=${api.host}\n\n` });
  t.deepEqual(get, { code: 0, stdout: `username=scalarium\npassword=${api.token}\n`, stderr: '' });

  for (const input of [`protocol=http\nhost=127.0.0.1:1\n\n`, `protocol=https\nhost=${api.host}\n\n`, 'protocol=http\nhost=example.com\n\n', '']) {
    t.deepEqual(await cli(['git-credential', 'get'], { ...opts, stdin: input }), { code: 0, stdout: '', stderr: '' }, input);
  }
  for (const action of ['store', 'erase', 'something-new']) {
    const input = `protocol=http\nhost=${api.host}\nusername=scalarium\npassword=${api.token}\n\n`;
    t.deepEqual(await cli(['git-credential', action], { ...opts, stdin: input }), { code: 0, stdout: '', stderr: '' }, action);
  }
  t.is((await cli(['git-credential'], opts)).code, 2, 'git always gives the action');

  // SCALARIUM_TOKEN / SCALARIUM_SERVER override the saved login here too
  const fromEnv = await cli(['git-credential', 'get'], { env: { ...api.env, SCALARIUM_TOKEN: 'sc_from_env' }, cwd: api.cwd, stdin: `protocol=http\nhost=${api.host}\n\n` });
  t.is(fromEnv.stdout, 'username=scalarium\npassword=sc_from_env\n');
  const otherServer = await cli(['git-credential', 'get'], { env: { ...api.env, SCALARIUM_SERVER: 'https://paas.example.com' }, cwd: api.cwd, stdin: `protocol=http\nhost=${api.host}\n\n` });
  t.is(otherServer.stdout, '');

  // it answers from the saved login alone, without asking the API: with the server gone, the same answer
  await api.server.close();
  t.deepEqual(await cli(['git-credential', 'get'], { ...opts, stdin: `protocol=http\nhost=${api.host}\n\n` }),
    { code: 0, stdout: `username=scalarium\npassword=${api.token}\n`, stderr: '' });

  // logged out: nothing on stdout, a hint on stderr (git shows it)
  await cli(['logout'], opts);
  const out = await cli(['git-credential', 'get'], { ...opts, stdin: `protocol=http\nhost=${api.host}\n\n` });
  t.is(out.stdout, '');
  t.regex(out.stderr, /not logged in to http:\/\/127\.0\.0\.1:\d+; run `scalarium login`/);
});

// ---------------------------------------------------------------------------------------------
// the real git

test('after apps:create, the real git gets the token from the helper for the server, and only there', async (t) => {
  const api = await savedLogin(t);
  const env = noPrompt(api.env);
  // a credential store in ~/.gitconfig must neither answer for the server nor save the token
  await git(api.cwd, env, 'config', '--global', 'credential.helper', 'store');
  const repo = await gitRepo(t, api);
  const created = await cli(['apps:create', 'blog'], { env: api.env, cwd: repo });
  t.is(created.code, 0, created.stderr);
  t.is(created.stderr, 'Creating blog... done\n');

  const gitConfig = await readFile(join(repo, '.git', 'config'), 'utf8');
  t.false(gitConfig.includes(api.token), '.git/config holds no token');
  t.is(await git(repo, env, 'remote', 'get-url', 'scalarium'), `${api.url}/blog.git`);

  const fill = (host: string, protocol = 'http') => runWithInput('git', ['credential', 'fill'], { cwd: repo, env, input: `protocol=${protocol}\nhost=${host}\n\n` });
  const ours = await fill(api.host);
  t.is(ours.code, 0, ours.stderr);
  t.is(ours.stdout, `protocol=http\nhost=${api.host}\nusername=scalarium\npassword=${api.token}\n`);

  for (const [host, protocol] of [['127.0.0.1:1', 'http'], ['example.com', 'https'], [api.host, 'https']]) {
    const other = await fill(host, protocol);
    t.not(other.code, 0, `${protocol}://${host}: git had no password and could not prompt`);
    t.false(other.stdout.includes(api.token), `${protocol}://${host}`);
    t.false(other.stdout.includes('password='), `${protocol}://${host}`);
  }

  // the helper reads the config at the time git asks: a new login is used at once
  const fromEnv = await runWithInput('git', ['credential', 'fill'], { cwd: repo, env: { ...env, SCALARIUM_TOKEN: 'sc_rotated' }, input: `protocol=http\nhost=${api.host}\n\n` });
  t.regex(fromEnv.stdout, /^password=sc_rotated$/m);

  // after a successful push git "approves" the credentials: the store helper must not get them
  const approve = await runWithInput('git', ['credential', 'approve'], { cwd: repo, env, input: ours.stdout + '\n' });
  t.is(approve.code, 0, approve.stderr);
  await t.throwsAsync(stat(join(api.env.HOME!, '.git-credentials')), { code: 'ENOENT' });
  t.false((await readFile(configPath(api.env), 'utf8')).includes('sc_rotated'), 'store does not touch the CLI config');

  // a real HTTP exchange with the server's git endpoint: it challenges, the helper answers, and git
  // reads the (empty) repository of the new app without ever prompting
  const lsRemote = await runWithInput('git', ['ls-remote', 'scalarium'], { cwd: repo, env, input: '' });
  t.is(lsRemote.code, 0, lsRemote.stderr);
  t.is(lsRemote.stdout, '', 'a new app has no branches yet');
  const anonymous = await runWithInput('git', ['ls-remote', `${api.url}/blog.git`], { cwd: api.cwd, env, input: '' });
  t.not(anonymous.code, 0, 'without the helper (outside the repository) git gets no access');
  t.regex(anonymous.stderr, /could not read Username/, 'the server asked for credentials, and git had none');

  // a token the server does not take: git says so (and its "erase" to the helper is ignored)
  const wrong = await runWithInput('git', ['ls-remote', 'scalarium'], { cwd: repo, env: { ...env, SCALARIUM_TOKEN: 'sc_wrong' }, input: '' });
  t.not(wrong.code, 0);
  t.regex(wrong.stderr, /Authentication failed/);
  t.deepEqual(JSON.parse(await readFile(configPath(api.env), 'utf8')), { server: api.url, token: api.token }, 'the login is untouched');
});

test('git:remote sets up an existing app and removes a token an older CLI put into the remote URL', async (t) => {
  const api = await savedLogin(t);
  for (const name of ['blog', 'shop']) await must(api.server, 201, 'POST', '/api/apps', { name });
  const env = noPrompt(api.env);
  const repo = await gitRepo(t, api);
  await git(repo, env, 'remote', 'add', 'scalarium', `http://scalarium:${api.token}@${api.host}/blog.git`);
  t.true((await readFile(join(repo, '.git', 'config'), 'utf8')).includes(api.token));

  const result = await cli(['git:remote'], { env: api.env, cwd: repo });
  t.deepEqual(result, { code: 0, stdout: 'Git remote scalarium updated\n', stderr: '' });
  t.is(await git(repo, env, 'remote', 'get-url', 'scalarium'), (await must(api.server, 200, 'GET', '/api/apps/blog')).gitUrl);
  t.false((await readFile(join(repo, '.git', 'config'), 'utf8')).includes(api.token), 'the old token is gone from .git/config');
  const fill = await runWithInput('git', ['credential', 'fill'], { cwd: repo, env, input: `protocol=http\nhost=${api.host}\n\n` });
  t.regex(fill.stdout, new RegExp(`^username=scalarium\\npassword=${api.token}$`, 'm'));
  t.is((await runWithInput('git', ['ls-remote', 'scalarium'], { cwd: repo, env, input: '' })).code, 0, 'and git gets in with it');

  // a fresh repository and --app
  const fresh = await gitRepo(t, api, 'fresh');
  t.deepEqual(await cli(['git:remote', '--app', 'blog'], { env: api.env, cwd: fresh }), { code: 0, stdout: 'Git remote scalarium added\n', stderr: '' });
  // logged in under another name of the server: the app's git URL is not on that host; the remote is set, with a note
  const shop = await cli(['git:remote', '-a', 'shop'], { env: { ...api.env, SCALARIUM_SERVER: api.url.replace('127.0.0.1', 'localhost') }, cwd: fresh });
  t.is(shop.code, 0, shop.stderr);
  t.is(await git(fresh, env, 'remote', 'get-url', 'scalarium'), `${api.url}/shop.git`);
  t.regex(shop.stderr, /is not on the server you are logged in to/);

  const outside = await cli(['git:remote', '--app', 'blog'], { env: api.env, cwd: api.cwd });
  t.is(outside.code, 1);
  t.regex(outside.stderr, /is not inside a git repository/);
  const missing = await cli(['git:remote', '--app', 'nope'], { env: api.env, cwd: fresh });
  t.is(missing.stderr, '▸ No app named "nope".\n  Run `scalarium apps` to list apps.\n');
  const noApp = await cli(['git:remote'], { env: api.env, cwd: await gitRepo(t, api, 'empty') });
  t.is(noApp.code, 2);
  t.regex(noApp.stderr, /No app given, and no git remote "scalarium"/);
});

test('bin/scalarium.js git-credential runs as git runs it: a subprocess reading stdin', async (t) => {
  const api = await savedLogin(t);
  const helper = (action: string, input: string) =>
    runWithInput('sh', ['-c', `${helperCommand().slice(1)} ${action}`], { cwd: api.cwd, env: api.env, input });
  const get = await helper('get', `protocol=http\nhost=${api.host}\n\n`);
  t.deepEqual(get, { code: 0, stdout: `username=scalarium\npassword=${api.token}\n`, stderr: '' });
  const other = await helper('get', 'protocol=http\nhost=127.0.0.1:1\n\n');
  t.deepEqual(other, { code: 0, stdout: '', stderr: '' });
  const store = await helper('store', `protocol=http\nhost=${api.host}\nusername=x\npassword=y\n\n`);
  t.deepEqual(store, { code: 0, stdout: '', stderr: '' });
});
