// Tests of the `scalarium` CLI against a real server: the API, core and plugins run in this process
// (test/helpers/harness.ts) on fake null-provider instances, so apps get releases and processes
// without a build or a real process. The CLI runs in-process through run() over real HTTP, config
// files are written to temporary XDG dirs, git repositories are created with the real git, and the
// bin runs once as a real subprocess. Where a test once looked at the request a fake received, it
// now looks at the effect through the API.
import test from 'ava';
import Koa from 'koa';
import { once } from 'node:events';
import http from 'node:http';
import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { appFromGitUrl, resolveApp } from './app-resolver.ts';
import { configPath, loadSession, readConfig, writeConfig } from './config-store.ts';
import { CliError, UsageError } from './errors.ts';
import { plainGitUrl, redactUrl } from './git.ts';
import { helperCommand } from './credential-helper.ts';
import { allCommands, suggestCommand } from './main.ts';
import {
  cli, execFileAsync, git, gitRepo, loggedIn, must, ROOT, sandbox, sharedServer, SHOP_CONFIG, shopAndBlog, UNKNOWN_TOKEN,
  until, VERSION, withoutDates,
} from './test-support.ts';

/** shopAndBlog, for the tests that only read. */
const shop = sharedServer(shopAndBlog);

// ---------------------------------------------------------------------------------------------
// argument parsing, help, usage errors

test('no arguments, help and --help print help and exit 0', async (t) => {
  const box = await sandbox(t);
  const cwd = join(box.dir, 'work');
  for (const args of [[], ['help'], ['--help'], ['-h']]) {
    const result = await cli(args, { env: box.env, cwd });
    t.is(result.code, 0, args.join(' '));
    for (const command of allCommands) {
      t.is(result.stdout.includes(`  ${command.name} `), !command.hidden, `${command.name} is ${command.hidden ? 'not ' : ''}listed`);
    }
  }
});

test('every command has --help, help COMMAND and examples', async (t) => {
  const box = await sandbox(t);
  const cwd = join(box.dir, 'work');
  for (const command of allCommands) {
    const viaFlag = await cli([command.name, '--help'], { env: box.env, cwd });
    t.is(viaFlag.code, 0, command.name);
    t.true(viaFlag.stdout.startsWith(`Usage: scalarium ${command.name}`), command.name);
    t.true(viaFlag.stdout.includes('Examples:'), command.name);
    const viaHelp = await cli(['help', command.name], { env: box.env, cwd });
    t.is(viaHelp.stdout, viaFlag.stdout);
  }
  // -h wins over otherwise invalid arguments, but not after `--`
  t.is((await cli(['config:set', 'nonsense', '-h'], { env: box.env, cwd })).code, 0);
  t.is((await cli(['config:set', '--', '-h'], { env: box.env, cwd })).code, 2);
  // aliases resolve to their command
  t.true((await cli(['info', '--help'], { env: box.env, cwd })).stdout.startsWith('Usage: scalarium apps:info'));
});

test('--version and version print the package version', async (t) => {
  const box = await sandbox(t);
  const cwd = join(box.dir, 'work');
  for (const args of [['--version'], ['version']]) {
    const result = await cli(args, { env: box.env, cwd });
    t.deepEqual(result, { code: 0, stdout: `scalarium ${VERSION}\n`, stderr: '' });
  }
});

test('an unknown command suggests the closest one and exits 2', async (t) => {
  const box = await sandbox(t);
  const result = await cli(['confg', '-a', 'shop'], { env: box.env, cwd: join(box.dir, 'work') });
  t.is(result.code, 2);
  t.is(result.stdout, '');
  t.is(result.stderr, '▸ "confg" is not a scalarium command.\n  Did you mean `scalarium config`? Run `scalarium help` to list commands.\n');
  t.is(suggestCommand('releses'), 'releases');
  t.is(suggestCommand('ps:scal'), 'ps:scale');
  t.is(suggestCommand('config:sett'), 'config:set');
  t.is(suggestCommand('releases:show'), 'releases');
  t.is(suggestCommand('xyzzy-plugh'), undefined);
  const help = await cli(['help', 'lgos'], { env: box.env, cwd: join(box.dir, 'work') });
  t.is(help.code, 2);
  t.regex(help.stderr, /Did you mean `scalarium logs`/);
});

test('usage errors exit 2 before any request is made', async (t) => {
  // The server is unreachable: had the CLI sent a request, the exit code would be 1.
  const box = await sandbox(t, { SCALARIUM_SERVER: 'http://127.0.0.1:9', SCALARIUM_TOKEN: UNKNOWN_TOKEN });
  const cwd = join(box.dir, 'work');
  const cases: [string[], RegExp][] = [
    [['apps', '--bogus'], /Unknown option --bogus for `scalarium apps`/],
    [['whoami', 'extra'], /Unexpected argument "extra"/],
    [['apps:create'], /Missing NAME/],
    [['apps:create', 'Bad_Name'], /"Bad_Name" is not a valid app name/],
    [['config', '--app', 'Shop!'], /"Shop!" is not a valid app name/],
    [['config', '-a'], /Option -a, --app needs a value/],
    [['config:set', 'NOEQUALS', '-a', 'shop'], /Expected KEY=VALUE, got "NOEQUALS"/],
    [['config:set', '1BAD=x', '-a', 'shop'], /"1BAD" is not a valid config var name/],
    [['config:set', 'BAD-KEY=x', '-a', 'shop'], /"BAD-KEY" is not a valid config var name/],
    [['config:set', '-a', 'shop'], /Missing KEY=VALUE/],
    [['config:unset', 'OK', 'no.dots', '-a', 'shop'], /"no.dots" is not a valid config var name/],
    [['config:get', '-a', 'shop'], /Missing KEY/],
    [['ps:scale', 'web=lots', '-a', 'shop'], /Expected TYPE=COUNT, got "web=lots"/],
    [['ps:scale', 'Web=1', '-a', 'shop'], /"Web" is not a valid process type/],
    [['ps:restart', 'web', 'worker', '-a', 'shop'], /Unexpected argument "worker"/],
    [['releases:info', 'latest', '-a', 'shop'], /"latest" is not a release version/],
    [['rollback', 'v0', '-a', 'shop'], /"v0" is not a release version/],
    [['logs', '--num', 'ten', '-a', 'shop'], /--num must be a whole number/],
    [['logs', '--tail=yes', '-a', 'shop'], /Option -t, --tail does not take a value/],
    [['logs', '-n', '-1', '-a', 'shop'], /Option -n needs a value; one that starts with "-" must be given as --num=VALUE/],
    [['logs', '--num=-1', '-a', 'shop'], /--num must be a whole number, got "-1"/],
    [['config'], /No app given, and no git remote "scalarium"/],
    [['--app', 'shop', 'config'], /Expected a command before --app/],
    [['login', '--server', 'ftp://example.com', '--token', 'x'], /must start with http:\/\/ or https:\/\//],
    [['login', '--server', 'http://u:p@example.com', '--token', 'x'], /Do not put credentials in the server URL/],
    [['login', '--token', 'x'], /must start with http|Missing --server/],
  ];
  for (const [args, message] of cases) {
    const result = await cli(args, { env: { ...box.env, SCALARIUM_SERVER: args[0] === 'login' ? undefined : box.env.SCALARIUM_SERVER }, cwd });
    t.is(result.code, 2, args.join(' '));
    t.regex(result.stderr, message, args.join(' '));
    t.true(result.stderr.startsWith('▸ '), args.join(' '));
    t.is(result.stdout, '', args.join(' '));
  }
  const withUsage = await cli(['config:set', 'NOEQUALS', '-a', 'shop'], { env: box.env, cwd });
  t.regex(withUsage.stderr, /Usage: scalarium config:set KEY=VALUE\.\.\. \[--app NAME\]/);
});

// ---------------------------------------------------------------------------------------------
// config store

test('login validates the token, then saves it in $XDG_CONFIG_HOME/scalarium with modes 0700/0600', async (t) => {
  const server = await shop();
  const box = await sandbox(t);
  const cwd = join(box.dir, 'work');
  const result = await cli(['login', '--server', `${server.url}/`, '--token', server.token], { env: box.env, cwd });
  t.deepEqual(result, { code: 0, stdout: `Logged in to ${server.url} as admin\n`, stderr: '' });

  const path = join(box.dir, 'config', 'scalarium', 'config.json');
  t.is(configPath(box.env), path);
  t.is((await stat(dirname(path))).mode & 0o777, 0o700);
  t.is((await stat(path)).mode & 0o777, 0o600);
  t.deepEqual(JSON.parse(await readFile(path, 'utf8')), { server: server.url, token: server.token });

  // the saved login is used by the next command ("initial" is the name of the admin's first token)
  const whoami = await cli(['whoami'], { env: box.env, cwd });
  t.deepEqual(whoami, { code: 0, stdout: `admin on ${server.url} (token "initial")\n`, stderr: '' });

  // logout forgets the token and keeps the server
  const logout = await cli(['logout'], { env: box.env, cwd });
  t.is(logout.stdout, `Logged out of ${server.url}\n`);
  t.deepEqual(await readConfig(box.env), { server: server.url });
  const after = await cli(['whoami'], { env: box.env, cwd });
  t.is(after.code, 1);
  t.regex(after.stderr, /^▸ Not logged in to http:\/\/127\.0\.0\.1:\d+: no API token\.\n  Run `scalarium login/);
  t.is((await cli(['logout'], { env: box.env, cwd })).stdout, 'Not logged in\n');
});

test('login with a rejected token exits 1 and saves nothing', async (t) => {
  const server = await shop();
  const box = await sandbox(t);
  const result = await cli(['login', '--server', server.url, '--token', UNKNOWN_TOKEN], { env: box.env, cwd: join(box.dir, 'work') });
  t.is(result.code, 1);
  t.is(result.stderr, `▸ The server at ${server.url} did not accept this token.\n  Check the token: API tokens are shown once, when they are created.\n`);
  await t.throwsAsync(stat(configPath(box.env)), { code: 'ENOENT' });
});

test('config store: ~/.config without XDG_CONFIG_HOME, relative XDG ignored, modes enforced, env overrides', async (t) => {
  const box = await sandbox(t);
  const home = box.env.HOME!;
  const noXdg = { ...box.env, XDG_CONFIG_HOME: undefined };
  t.is(configPath(noXdg), join(home, '.config', 'scalarium', 'config.json'));
  t.is(configPath({ ...box.env, XDG_CONFIG_HOME: 'relative/dir' }), join(home, '.config', 'scalarium', 'config.json'));

  // an existing, too open directory and file are tightened on write
  await mkdir(join(home, '.config', 'scalarium'), { recursive: true, mode: 0o755 });
  await chmod(join(home, '.config', 'scalarium'), 0o755);
  await writeConfig(noXdg, { server: 'http://a:1', token: 'first' });
  await writeConfig(noXdg, { server: 'http://a:1', token: 'second' });
  t.is((await stat(join(home, '.config', 'scalarium'))).mode & 0o777, 0o700);
  t.is((await stat(configPath(noXdg))).mode & 0o777, 0o600);
  t.deepEqual(await readConfig(noXdg), { server: 'http://a:1', token: 'second' });

  t.like(await loadSession(noXdg), { server: 'http://a:1', token: 'second', serverFrom: 'file', tokenFrom: 'file' });
  t.like(await loadSession({ ...noXdg, SCALARIUM_TOKEN: 'from-env' }), { server: 'http://a:1', token: 'from-env', tokenFrom: 'env' });
  t.like(await loadSession({ ...noXdg, SCALARIUM_SERVER: 'http://b:2' }), { server: 'http://b:2', serverFrom: 'env', token: 'second' });
  t.like(await loadSession(box.env), { server: undefined, token: undefined }); // XDG dir is empty
});

// ---------------------------------------------------------------------------------------------
// app resolution and the git remote

test('appFromGitUrl reads the app from the URL path /<app>.git', (t) => {
  t.is(appFromGitUrl('http://127.0.0.1:5050/shop.git'), 'shop');
  t.is(appFromGitUrl('http://scalarium:tok%2Fen@127.0.0.1:5050/shop.git'), 'shop');
  t.is(appFromGitUrl('https://paas.example.com/git/my-app-2.git/'), 'my-app-2');
  t.is(appFromGitUrl('git@paas.example.com:shop.git'), 'shop');
  t.is(appFromGitUrl('http://127.0.0.1:5050/shop'), 'shop');
  t.is(appFromGitUrl('http://127.0.0.1:5050/Not_An_App.git'), undefined);
  t.is(appFromGitUrl('http://127.0.0.1:5050/'), undefined);
  t.is(appFromGitUrl('nonsense'), undefined);
});

test('the app comes from --app, else from the "scalarium" git remote of a real repository', async (t) => {
  const box = await sandbox(t);
  const repo = await gitRepo(t, box);
  await git(repo, box.env, 'remote', 'add', 'scalarium', 'http://scalarium:secret@127.0.0.1:5050/shop.git');
  await git(repo, box.env, 'remote', 'add', 'origin', 'https://github.com/acme/other.git');
  await mkdir(join(repo, 'src', 'deep'), { recursive: true });

  t.is(await resolveApp({ cwd: repo, env: box.env }), 'shop');
  t.is(await resolveApp({ cwd: join(repo, 'src', 'deep'), env: box.env }), 'shop');
  t.is(await resolveApp({ flag: 'blog', cwd: repo, env: box.env }), 'blog');

  const outside = join(box.dir, 'work');
  const none = await t.throwsAsync(resolveApp({ cwd: outside, env: box.env }), { instanceOf: UsageError });
  t.regex(none.hint ?? '', /--app NAME/);

  const odd = await gitRepo(t, box, 'odd');
  await git(odd, box.env, 'remote', 'add', 'scalarium', 'http://scalarium:secret@127.0.0.1:5050/Bad_Name.git');
  const bad = await t.throwsAsync(resolveApp({ cwd: odd, env: box.env }), { instanceOf: CliError });
  t.regex(bad.message, /does not name an app/);
  t.false(bad.message.includes('secret'), 'the token in the remote URL is never printed');
});

test('commands run in a repository act on the app of its "scalarium" remote', async (t) => {
  const api = await loggedIn(t, { server: await shop() });
  const repo = await gitRepo(t, api);
  await git(repo, api.env, 'remote', 'add', 'scalarium', `http://scalarium:${api.server.token}@127.0.0.1:5050/shop.git`);
  const result = await cli(['config', '--json'], { env: api.env, cwd: repo });
  t.is(result.code, 0, result.stderr);
  t.deepEqual(JSON.parse(result.stdout), SHOP_CONFIG);
  // --app wins over the remote
  const blog = await cli(['config', '--app', 'blog', '--json'], { env: api.env, cwd: repo });
  t.deepEqual(JSON.parse(blog.stdout), {}, 'blog has no config vars');
});

test('plainGitUrl drops any credentials from a git URL; redactUrl hides a password', (t) => {
  t.is(plainGitUrl('http://127.0.0.1:5050/shop.git'), 'http://127.0.0.1:5050/shop.git');
  t.is(plainGitUrl('https://scalarium:sc_abc@paas.example.com/shop.git'), 'https://paas.example.com/shop.git');
  t.throws(() => plainGitUrl('file:///srv/shop.git'));
  t.is(redactUrl('http://scalarium:sc_abc@127.0.0.1:5050/shop.git'), 'http://scalarium:***@127.0.0.1:5050/shop.git');
});

test('apps:create adds the git remote without the token plus the credential helper, updates an existing one, or skips with --no-remote', async (t) => {
  const api = await loggedIn(t);
  await must(api.server, 201, 'POST', '/api/apps', { name: 'shop' });
  const token = api.server.token;
  const appUrl = (name: string) => `http://${name}.localhost:0/`; // the null provider's router listens nowhere
  const repo = await gitRepo(t, api);
  const created = await cli(['apps:create', 'blog'], { env: api.env, cwd: repo });
  t.is(created.code, 0, created.stderr);
  t.is(created.stdout, `${appUrl('blog')} | ${api.url}/blog.git\nGit remote scalarium added\n`);
  t.is(created.stderr, 'Creating blog... done\n');
  t.like(await must(api.server, 200, 'GET', '/api/apps/blog'), { name: 'blog', cluster: 'local', url: appUrl('blog'), gitUrl: `${api.url}/blog.git` });
  t.is(await git(repo, api.env, 'remote', 'get-url', 'scalarium'), `${api.url}/blog.git`);
  t.is(await resolveApp({ cwd: repo, env: api.env }), 'blog');
  const helpers = async () => (await execFileAsync('git', ['config', '--get-all', `credential.${api.url}.helper`], { cwd: repo, env: api.env })).stdout;
  t.is(await helpers(), `\n${helperCommand()}\n`, 'an empty value first resets helpers from ~/.gitconfig');
  t.is(await git(repo, api.env, 'config', `credential.${api.url}.useHttpPath`), 'false');
  t.false((await readFile(join(repo, '.git', 'config'), 'utf8')).includes(token), 'the token is not in .git/config');

  // an existing remote is pointed at the new app; the helper is configured once, not twice
  const again = await cli(['apps:create', 'other'], { env: api.env, cwd: repo });
  t.regex(again.stdout, /Git remote scalarium updated\n$/);
  t.is(await git(repo, api.env, 'remote', 'get-url', 'scalarium'), `${api.url}/other.git`);
  t.is(await helpers(), `\n${helperCommand()}\n`);

  // --no-remote leaves git alone; --json keeps stdout pure JSON
  const skipped = await cli(['apps:create', 'third', '--no-remote', '--json'], { env: api.env, cwd: repo });
  t.is(skipped.code, 0);
  t.deepEqual(JSON.parse(skipped.stdout), await must(api.server, 200, 'GET', '/api/apps/third').then(({ processes: _, ...app }) => app));
  t.is(skipped.stderr, 'Creating third... done\n');
  t.is(await git(repo, api.env, 'remote', 'get-url', 'scalarium'), `${api.url}/other.git`);

  // outside a repository there is nothing to add
  const outside = await cli(['apps:create', 'fourth'], { env: api.env, cwd: api.cwd });
  t.is(outside.stdout, `${appUrl('fourth')} | ${api.url}/fourth.git\n`);

  // logged in under another name of the server: the app's git URL is on another host than the
  // login, so the helper will not answer there, and says so
  const elsewhereEnv = { ...api.env, SCALARIUM_SERVER: api.url.replace('127.0.0.1', 'localhost') };
  const elsewhere = await cli(['apps:create', 'elsewhere'], { env: elsewhereEnv, cwd: repo });
  t.is(elsewhere.code, 0, elsewhere.stderr);
  t.is(await git(repo, api.env, 'remote', 'get-url', 'scalarium'), `${api.url}/elsewhere.git`);
  t.regex(elsewhere.stderr, /the app's git URL \(http:\/\/127\.0\.0\.1:\d+\) is not on the server you are logged in to \(http:\/\/localhost:\d+\)/);
  t.regex(elsewhere.stderr, /enter your API token/);

  // an API error: the name is taken
  const taken = await cli(['apps:create', 'shop'], { env: api.env, cwd: repo });
  t.is(taken.code, 1);
  t.is(taken.stderr, 'Creating shop... failed\n▸ An app named "shop" already exists.\n  Choose another name.\n');
});

// ---------------------------------------------------------------------------------------------
// API answers: --json, human output, errors

test('--json prints the raw API JSON', async (t) => {
  const api = await loggedIn(t, { server: await shop() });
  const cases: [string[], string][] = [
    [['apps', '--json'], '/api/apps'],
    [['apps:info', '-a', 'shop', '--json'], '/api/apps/shop'],
    [['config', '-a', 'shop', '--json'], '/api/apps/shop/config'],
    [['releases', '-a', 'shop', '--json'], '/api/apps/shop/releases'],
    [['releases:info', 'v1', '-a', 'shop', '--json'], '/api/apps/shop/releases/1'],
    [['ps', '-a', 'shop', '--json'], '/api/apps/shop/ps'],
    [['whoami', '--json'], '/api/whoami'],
  ];
  for (const [args, path] of cases) {
    const result = await cli(args, { env: api.env, cwd: api.cwd });
    t.is(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    t.deepEqual(JSON.parse(result.stdout), await must(api.server, 200, 'GET', path), args.join(' '));
  }
  // not a vacuous comparison: the answers hold what the world was made of
  const releases = JSON.parse((await cli(['releases', '-a', 'shop', '--json'], { env: api.env, cwd: api.cwd })).stdout);
  t.deepEqual(releases.map((r: { version: number; description: string }) => `v${r.version} ${r.description}`), ['v2 Set GREETING config vars', 'v1 Deploy 1a2b3c4']);
  t.is(JSON.parse((await cli(['releases:info', '1', '-a', 'shop', '--json'], { env: api.env, cwd: api.cwd })).stdout).version, 1);
});

test('human output: tables and KEY=value lines', async (t) => {
  const api = await loggedIn(t, { server: await shop() });
  const opts = { env: api.env, cwd: api.cwd };

  const apps = await cli(['apps'], opts);
  t.is(apps.stdout, [
    'NAME  CLUSTER  RELEASE  FORMATION       URL',
    'blog  local    -        (none)          http://blog.localhost:0/',
    'shop  local    v2       web=2 worker=1  http://shop.localhost:0/',
    '',
  ].join('\n'));

  const config = await cli(['config', '-a', 'shop'], opts);
  t.is(config.stdout, "DATABASE_URL=postgres://db/shop?sslmode=require\nGREETING=it's here\nZED=last\n");
  const shell = await cli(['config', '-a', 'shop', '--shell'], opts);
  t.is(shell.stdout, "DATABASE_URL='postgres://db/shop?sslmode=require'\nGREETING='it'\\''s here'\nZED=last\n");

  const get = await cli(['config:get', 'GREETING', '-a', 'shop'], opts);
  t.deepEqual(get, { code: 0, stdout: "it's here\n", stderr: '' });
  const missing = await cli(['config:get', 'NOPE', '-a', 'shop'], opts);
  t.deepEqual(missing, { code: 1, stdout: '', stderr: '▸ NOPE is not set on shop.\n' });

  // the fake processes are ready at once and listen on no port
  const ps = await cli(['ps', '-a', 'shop'], opts);
  const lines = ps.stdout.trimEnd().split('\n');
  t.regex(lines[0], /^NAME\s+STATE\s+RELEASE\s+INSTANCE\s+PORT\s+RESTARTS\s+UP$/);
  t.deepEqual(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 6)), [
    ['web.1', 'ready', 'v2', 'local-app-1', '-', '0'],
    ['web.2', 'ready', 'v2', 'local-app-1', '-', '0'],
    ['worker.1', 'ready', 'v2', 'local-app-1', '-', '0'],
  ]);

  const releases = await cli(['releases', '-a', 'shop'], opts);
  t.regex(withoutDates(releases.stdout),
    /^\s+VERSION\s+DESCRIPTION\s+COMMIT\s+BY\s+CREATED\n\*\s+v2\s+Set GREETING config vars\s+1a2b3c4\s+admin\s+YYYY-MM-DD hh:mm:ss UTC\n\s+v1\s+Deploy 1a2b3c4\s+1a2b3c4\s+admin\s+YYYY-MM-DD hh:mm:ss UTC\n$/);

  const info = await cli(['apps:info', '-a', 'shop'], opts);
  t.regex(info.stdout, new RegExp(`^=== shop\\nWeb URL: +http://shop\\.localhost:0/\\nGit URL: +${api.url.replace(/\./g, '\\.')}/shop\\.git\\nRelease: +v2 \\(1a2b3c4\\)`));
  t.regex(info.stdout, /=== Processes \(3\)/);

  const release = await cli(['releases:info', '2', '-a', 'shop'], opts);
  t.regex(release.stdout, /^=== shop v2 \(current\)\n/);
  t.regex(release.stdout, /Timings: +deploy \d+ ms/); // no build: the release reused v1's slug
  t.regex(release.stdout, /web +node server\.js/);

  const open = await cli(['open', '-a', 'shop'], { ...opts, env: { ...api.env, PATH: api.dir } }); // no xdg-open on this PATH
  t.deepEqual(open, { code: 0, stdout: 'http://shop.localhost:0/\n', stderr: '' });
});

test('API errors print ▸ message and hint on stderr and exit 1', async (t) => {
  const api = await loggedIn(t, { server: await shop() });
  const result = await cli(['apps:info', '--app', 'nope'], { env: api.env, cwd: api.cwd });
  t.deepEqual(result, { code: 1, stdout: '', stderr: '▸ No app named "nope".\n  Run `scalarium apps` to list apps.\n' });
  const release = await cli(['releases:info', 'v9', '-a', 'shop'], { env: api.env, cwd: api.cwd });
  t.is(release.code, 1);
  t.is(release.stderr, '▸ App shop has no release v9.\n  Run `scalarium releases` to list releases.\n');
});

test('a wrong token gets the 401 error with its hint', async (t) => {
  const api = await loggedIn(t, { server: await shop(), token: UNKNOWN_TOKEN });
  const result = await cli(['apps'], { env: api.env, cwd: api.cwd });
  t.is(result.code, 1);
  t.is(result.stdout, '');
  t.regex(result.stderr, /^▸ Authentication required: no valid API token was given\.\n  Log in with `scalarium login --server URL --token TOKEN`\.\n$/);
});

test('an unreachable server gives "cannot reach the server at URL — is it running?"', async (t) => {
  // a port that was just listening and is now closed
  const probe = new Koa().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const box = await sandbox(t, { SCALARIUM_SERVER: `http://127.0.0.1:${port}`, SCALARIUM_TOKEN: UNKNOWN_TOKEN });
  const result = await cli(['apps'], { env: box.env, cwd: join(box.dir, 'work') });
  t.is(result.code, 1);
  t.true(result.stderr.startsWith(`▸ cannot reach the server at http://127.0.0.1:${port} — is it running?\n`), result.stderr);
  t.regex(result.stderr, /ECONNREFUSED/);
});

// ---------------------------------------------------------------------------------------------
// mutations and progress

test('config:set sends KEY=VALUE pairs (values may contain "=") and reports the new release', async (t) => {
  const api = await loggedIn(t);
  await shopAndBlog(api.server);
  const result = await cli(['config:set', 'DATABASE_URL=postgres://u:p@db/shop?a=1&b=2', 'EMPTY=', 'LOG_LEVEL=debug', '-a', 'shop'], { env: api.env, cwd: api.cwd });
  t.is(result.code, 0, result.stderr);
  t.is(result.stderr, 'Setting config vars and restarting shop... done, v3\n');
  t.is(result.stdout, 'DATABASE_URL=postgres://u:p@db/shop?a=1&b=2\nEMPTY=\nLOG_LEVEL=debug\n');
  t.deepEqual(await must(api.server, 200, 'GET', '/api/apps/shop/config'),
    { ...SHOP_CONFIG, DATABASE_URL: 'postgres://u:p@db/shop?a=1&b=2', EMPTY: '', LOG_LEVEL: 'debug' });
  t.like(await must(api.server, 200, 'GET', '/api/apps/shop/releases/3'), { description: 'Set DATABASE_URL, EMPTY, LOG_LEVEL config vars', current: true });

  const unset = await cli(['config:unset', 'GREETING', 'ZED', '-a', 'shop'], { env: api.env, cwd: api.cwd });
  t.is(unset.code, 0);
  t.is(unset.stderr, 'Unsetting GREETING and ZED and restarting shop... done, v4\n');
  t.deepEqual(Object.keys(await must(api.server, 200, 'GET', '/api/apps/shop/config')).sort(), ['DATABASE_URL', 'EMPTY', 'LOG_LEVEL']);

  // Unsetting what is not set, or setting what is already set, changes nothing: no release, no restart.
  for (const args of [['config:unset', 'GREETING'], ['config:set', 'LOG_LEVEL=debug']]) {
    const same = await cli([...args, '-a', 'shop'], { env: api.env, cwd: api.cwd });
    t.is(same.code, 0, same.stderr);
    t.regex(same.stderr, /\.\.\. nothing to change \(no new release\)\n$/, args.join(' '));
  }
  t.is((await must<unknown[]>(api.server, 200, 'GET', '/api/apps/shop/releases')).length, 4, 'still v4');
});

test('on a TTY the progress line has a spinner and ends with the result', async (t) => {
  const api = await loggedIn(t);
  await shopAndBlog(api.server);
  const result = await cli(['config:set', 'A=1', '-a', 'shop'], { env: api.env, cwd: api.cwd, stderrTTY: true });
  t.is(result.code, 0);
  t.true(result.stderr.startsWith('\r\x1b[2K⠋ Setting config vars and restarting shop...'));
  t.true(result.stderr.endsWith('\r\x1b[2KSetting config vars and restarting shop... done, v3\n'));
});

test('ps:scale, ps:restart and rollback do what they say', async (t) => {
  const api = await loggedIn(t);
  await shopAndBlog(api.server);
  const opts = { env: api.env, cwd: api.cwd };
  type Ps = Array<{ id: string; type: string }>;
  const ps = () => must<Ps>(api.server, 200, 'GET', '/api/apps/shop/ps');

  const scale = await cli(['ps:scale', 'web=3', 'worker=0', '-a', 'shop'], opts);
  t.is(scale.code, 0, scale.stderr);
  t.is(scale.stderr, 'Scaling shop to web=3 worker=0... done, now running web=3 worker=0\n');
  t.deepEqual((await ps()).map((p) => p.type), ['web', 'web', 'web']);

  const show = await cli(['ps:scale', '-a', 'shop'], opts);
  t.is(show.stdout, 'web=3 worker=0\n');

  const before = (await ps()).map((p) => p.id);
  const restart = await cli(['ps:restart', 'web', '-a', 'shop'], opts);
  t.is(restart.stderr, 'Restarting web processes of shop... done, 3 processes restarted\n');
  const after = (await ps()).map((p) => p.id);
  t.is(after.length, 3);
  t.false(after.some((id) => before.includes(id)), 'every web process was replaced');

  // v1 had no GREETING yet: rolling back to it takes the config back too
  const rollback = await cli(['rollback', 'v1', '-a', 'shop'], opts);
  t.is(rollback.stderr, 'Rolling back shop to v1... done, v3\n');
  t.is(rollback.stdout, 'v3: Rollback to v1\n');
  const { GREETING: _, ...v1Config } = SHOP_CONFIG;
  t.deepEqual(await must(api.server, 200, 'GET', '/api/apps/shop/config'), v1Config);

  // without a version: the one before the current one
  const previous = await cli(['rollback', '-a', 'shop', '--json'], opts);
  t.like(JSON.parse(previous.stdout), { version: 4, description: 'Rollback to v2', current: true });
  t.deepEqual(await must(api.server, 200, 'GET', '/api/apps/shop/config'), SHOP_CONFIG);
});

test('apps:destroy refuses without a matching --confirm', async (t) => {
  const api = await loggedIn(t);
  await shopAndBlog(api.server);
  const repo = await gitRepo(t, api);
  await git(repo, api.env, 'remote', 'add', 'scalarium', `http://scalarium:${api.server.token}@127.0.0.1:5050/shop.git`);
  const opts = { env: api.env, cwd: repo };

  const refused = await cli(['apps:destroy'], opts);
  t.is(refused.code, 1);
  t.is(refused.stderr, '▸ This destroys shop: its processes, repository, config vars and releases. It cannot be undone.\n' +
    '  To proceed, run: scalarium apps:destroy --app shop --confirm shop\n');
  const mismatch = await cli(['apps:destroy', '--confirm', 'blog'], opts);
  t.is(mismatch.code, 1);
  t.regex(mismatch.stderr, /--confirm blog does not match the app name shop; nothing was destroyed/);
  t.is((await api.server.api('GET', '/api/apps/shop')).status, 200, 'shop is still there');
  t.is((await api.server.api('GET', '/api/apps/blog')).status, 200, 'and so is blog');

  const destroyed = await cli(['apps:destroy', 'shop', '--confirm', 'shop'], opts);
  t.is(destroyed.code, 0, destroyed.stderr);
  t.is(destroyed.stdout, 'Git remote scalarium removed\n');
  t.is((await api.server.api('GET', '/api/apps/shop')).status, 404);
  t.is(api.server.cloud.instance('local-app-1').processes.size, 0, 'its processes were stopped');
  await t.throwsAsync(git(repo, api.env, 'remote', 'get-url', 'scalarium'));
});

// ---------------------------------------------------------------------------------------------
// logs

const LOG_LINES = '2026-11-28T10:00:00.000000+00:00 app[web.1]: listening on 5001\n2026-11-28T10:00:01.000000+00:00 app[web.2]: listening on 5002\n';

/** shop's processes print two lines through the fake instance, as an agent relays its processes' output. */
async function shopWithLogs(t: Parameters<typeof loggedIn>[0]) {
  const api = await loggedIn(t);
  await shopAndBlog(api.server);
  // What the platform logged about shop's deploys (plugins/logging/platform-events.ts) comes first.
  const earlier = (await api.server.api('GET', '/api/apps/shop/logs')).body as string;
  const agent = api.server.cloud.instance('local-app-1');
  agent.log('shop', 'web.1', 'listening on 5001', '2026-11-28T10:00:00.000Z');
  agent.log('shop', 'web.2', 'listening on 5002', '2026-11-28T10:00:01.000Z');
  const all = earlier + LOG_LINES;
  await until('the log lines to be kept', async () => (await api.server.api('GET', '/api/apps/shop/logs')).body === all);
  return { api, agent, all };
}

test('logs prints the last lines', async (t) => {
  const { api, all } = await shopWithLogs(t);
  const result = await cli(['logs', '-n', '1', '-a', 'shop'], { env: api.env, cwd: api.cwd });
  t.deepEqual(result, { code: 0, stdout: '2026-11-28T10:00:01.000000+00:00 app[web.2]: listening on 5002\n', stderr: '' });
  t.is((await cli(['logs', '-a', 'shop'], { env: api.env, cwd: api.cwd })).stdout, all);
  t.deepEqual(await cli(['logs', '-n', '0', '-a', 'shop'], { env: api.env, cwd: api.cwd }), { code: 0, stdout: '', stderr: '' }, '-n 0: no past lines');
  t.regex(all, /scalarium\[deploy\]: Release v\d+ by admin is live: .*\n/, 'the platform says what went live');
});

test('logs --tail streams chunks as they arrive and ends cleanly when interrupted', async (t) => {
  const { api, agent, all } = await shopWithLogs(t);
  // The server (in this process) takes a client that goes away mid-stream in its stride, silently.
  const serverErrors: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    serverErrors.push(String(chunk));
    return write(chunk, ...rest);
  }) as typeof process.stderr.write;
  t.teardown(() => {
    process.stderr.write = write;
  });
  const controller = new AbortController();
  let followed = false;
  const result = await cli(['logs', '--tail', '-a', 'shop'], {
    env: api.env,
    cwd: api.cwd,
    signal: controller.signal,
    onStdout: (written) => {
      // once the past lines are in, the stream is open: a new line is printed...
      if (written === all && !followed) {
        followed = true;
        agent.log('shop', 'web.1', 'GET / 200', '2026-11-28T10:00:02.000Z');
      }
      // ...and when it has arrived, abort as Ctrl-C does
      if (written.includes('GET / 200')) controller.abort();
    },
  });
  t.is(result.code, 0, result.stderr);
  t.is(result.stdout, `${all}2026-11-28T10:00:02.000000+00:00 app[web.1]: GET / 200\n`);
  t.is(result.stderr, '');
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.false(serverErrors.join('').includes('ERR_STREAM_PREMATURE_CLOSE'), serverErrors.join(''));
});

test('logs --tail reconnects when the stream ends, asking only for new lines, and says so on stderr', async (t) => {
  // FAKE log server: it stands in for a server that restarts (the test server cannot come back on
  // the same port): the first stream ends after one line, the second stays open.
  const asked: string[] = [];
  const fakeLogServer = http.createServer((req, res) => {
    asked.push(new URL(req.url!, 'http://x').search);
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    if (asked.length === 1) res.end('before the restart\n');
    else res.write('after the restart\n');
  });
  await new Promise<void>((resolve) => fakeLogServer.listen(0, '127.0.0.1', () => resolve()));
  t.teardown(() => new Promise<void>((resolve) => {
    fakeLogServer.closeAllConnections();
    fakeLogServer.close(() => resolve());
  }));
  const box = await sandbox(t, { SCALARIUM_SERVER: `http://127.0.0.1:${(fakeLogServer.address() as AddressInfo).port}`, SCALARIUM_TOKEN: UNKNOWN_TOKEN });
  const controller = new AbortController();
  const result = await cli(['logs', '--tail', '-n', '5', '-a', 'shop'], {
    env: box.env, cwd: join(box.dir, 'work'), signal: controller.signal,
    onStdout: (all) => {
      if (all.includes('after the restart')) controller.abort();
    },
  });
  t.is(result.code, 0, result.stderr);
  t.is(result.stdout, 'before the restart\nafter the restart\n');
  t.regex(result.stderr, /▸ The log stream ended \(the server closed it\); reconnecting in 0\.5 s…\n▸ Reconnected\.\n/);
  t.deepEqual(asked, ['?lines=5&tail=1', '?lines=0&tail=1'], 'the past lines once, then only new ones');
});

// ---------------------------------------------------------------------------------------------
// the real program

test('bin/scalarium.js runs as a real subprocess', async (t) => {
  const { stdout } = await execFileAsync(process.execPath, ['bin/scalarium.js', '--version'], { cwd: ROOT });
  t.is(stdout, `scalarium ${VERSION}\n`);
  const error = await t.throwsAsync(execFileAsync(process.execPath, ['bin/scalarium.js', 'confg'], { cwd: ROOT }));
  t.is((error as unknown as { code: number }).code, 2);
  t.regex((error as unknown as { stderr: string }).stderr, /Did you mean `scalarium config`\?/);
});
