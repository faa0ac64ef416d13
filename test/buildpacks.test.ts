// The built-in buildpacks (buildpacks/<name>/bin/{detect,compile,release}), run as the server runs
// them: real processes, real temp dirs, then the released web command is started and fetched.
import test, { type ExecutionContext } from 'ava';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { satisfies } from '../buildpacks/nodejs/lib/semver.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'apps');
const SECRET = 'sup3r-s3cret-value-9f27c1';

type Buildpack = 'nodejs' | 'static' | 'procfile';
type Result = { code: number; stdout: string; stderr: string; output: string };

interface App {
  /** parent temp dir, removed on teardown */
  dir: string;
  build: string;
  cache: string;
  env: string;
  /** environment for the buildpack scripts: a clean one, with no npm_* from the test runner */
  processEnv: NodeJS.ProcessEnv;
}

/** Runs a buildpack script (argv array, no shell); resolves with the exit code instead of throwing. */
function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<Result> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') {
        reject(err);
        return;
      }
      const code = err ? Number(err.code) : 0;
      resolve({ code, stdout, stderr, output: stdout + stderr });
    });
  });
}

const script = (bp: Buildpack, name: 'detect' | 'compile' | 'release') =>
  path.join(ROOT, 'buildpacks', bp, 'bin', name);

const detect = (bp: Buildpack, app: App) => run(script(bp, 'detect'), [app.build], app.processEnv);
const compile = (bp: Buildpack, app: App) =>
  run(script(bp, 'compile'), [app.build, app.cache, app.env], app.processEnv);
const release = (bp: Buildpack, app: App) => run(script(bp, 'release'), [app.build], app.processEnv);

/** Copies a fixture (or nothing) into a fresh temp dir with cache and env dirs; removed on teardown. */
async function makeApp(t: ExecutionContext, fixture?: string): Promise<App> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'scalarium-bp-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const app: App = {
    dir,
    build: path.join(dir, 'app'),
    cache: path.join(dir, 'cache'),
    env: path.join(dir, 'env'),
    processEnv: {
      PATH: process.env.PATH,
      HOME: path.join(dir, 'home'),
      TMPDIR: os.tmpdir(),
      LANG: 'C.UTF-8',
      // Any registry access would fail fast: every build here must work offline.
      NPM_CONFIG_REGISTRY: 'http://127.0.0.1:9/',
    },
  };
  for (const d of [app.cache, app.env, app.processEnv.HOME as string]) await mkdir(d, { recursive: true });
  if (fixture) await cp(path.join(FIXTURES, fixture), app.build, { recursive: true });
  else await mkdir(app.build);
  // Every build gets a secret config var; no compile may ever print it.
  await writeFile(path.join(app.env, 'API_TOKEN'), SECRET);
  await writeFile(path.join(app.env, 'DATABASE_URL'), `postgres://user:${SECRET}@db/app`);
  return app;
}

async function editJson(file: string, edit: (json: Record<string, unknown>) => void): Promise<void> {
  const json = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  edit(json);
  await writeFile(file, JSON.stringify(json, null, 2));
}

const exists = (p: string) => stat(p).then(() => true, () => false);

function webCommand(releaseStdout: string): string {
  const doc = parseYaml(releaseStdout) as { default_process_types?: { web?: string } };
  const web = doc?.default_process_types?.web;
  if (typeof web !== 'string') throw new Error(`no web process type in:\n${releaseStdout}`);
  return web;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0);
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

interface Web {
  child: ChildProcess;
  port: number;
  url: string;
  logs: () => string;
  /** SIGTERM, then the exit code and signal */
  stop: () => Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts a released web command (split into argv, no shell) and waits until it answers HTTP. */
async function startWeb(t: ExecutionContext, app: App, command: string, env: NodeJS.ProcessEnv = {}): Promise<Web> {
  const port = await freePort();
  const [file, ...args] = command.split(' ');
  const child = spawn(file, args, {
    cwd: app.build,
    env: { ...app.processEnv, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  let logs = '';
  child.stdout?.on('data', (d: Buffer) => (logs += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (logs += d.toString()));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${command} exited early (${child.exitCode}):\n${logs}`);
    try {
      await fetch(url, { method: 'HEAD' });
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`${command} did not answer on ${url}:\n${logs}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    child,
    port,
    url,
    logs: () => logs,
    stop: async () => {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      const [code, signal] = await exited;
      clearTimeout(timer);
      return { code, signal };
    },
  };
}

/** A raw request, so that the path reaches the server exactly as written (fetch would normalise it). */
function rawGet(port: number, requestPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: requestPath, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function assertNoSecrets(t: ExecutionContext, result: Result): void {
  t.false(result.output.includes(SECRET), 'compile output must not contain config var values');
}

// ---------------------------------------------------------------------------------------------
// detect: the server tries nodejs, static, procfile; the first that detects wins.

test('detect: each fixture is claimed by the expected buildpack only', async (t) => {
  const expected: Record<string, { bp: Buildpack; name: string } | null> = {
    'node-hello': { bp: 'nodejs', name: 'Node.js' },
    'build-fails': { bp: 'nodejs', name: 'Node.js' },
    'static-site': { bp: 'static', name: 'Static HTML' },
    'procfile-only': { bp: 'procfile', name: 'Procfile' },
  };
  for (const [fixture, want] of Object.entries(expected)) {
    const app = await makeApp(t, fixture);
    for (const bp of ['nodejs', 'static', 'procfile'] as const) {
      const result = await detect(bp, app);
      if (want && want.bp === bp) {
        t.is(result.code, 0, `${bp} should detect ${fixture}`);
        t.is(result.stdout.trim(), want.name);
      } else {
        t.is(result.code, 1, `${bp} should not detect ${fixture}`);
      }
    }
  }
});

test('detect: nothing applies to an empty directory', async (t) => {
  const app = await makeApp(t);
  for (const bp of ['nodejs', 'static', 'procfile'] as const) {
    const result = await detect(bp, app);
    t.is(result.code, 1, bp);
    t.is(result.stdout, '');
  }
});

test('detect: static also detects public/index.html', async (t) => {
  const app = await makeApp(t);
  await mkdir(path.join(app.build, 'public'));
  await writeFile(path.join(app.build, 'public', 'index.html'), '<h1>public</h1>');
  const result = await detect('static', app);
  t.is(result.code, 0);
  t.is(result.stdout.trim(), 'Static HTML');
});

// ---------------------------------------------------------------------------------------------
// nodejs

test.serial('nodejs: node-hello compiles without npm, releases `node server.js`, serves and stops on SIGTERM', async (t) => {
  const app = await makeApp(t, 'node-hello');
  // An npm that records being called: an app without dependencies must not need npm at all.
  const fakeBin = path.join(app.dir, 'fake-bin');
  const marker = path.join(app.dir, 'npm-was-called');
  await mkdir(fakeBin);
  await writeFile(path.join(fakeBin, 'npm'), `#!/bin/sh\ntouch '${marker}'\nexit 1\n`, { mode: 0o755 });
  const built = await run(script('nodejs', 'compile'), [app.build, app.cache, app.env], {
    ...app.processEnv,
    PATH: `${fakeBin}${path.delimiter}${app.processEnv.PATH}`,
  });
  t.is(built.code, 0, built.output);
  t.false(await exists(marker), 'npm must not be called for an app without dependencies');
  t.regex(built.stdout, /^-----> Node\.js app detected$/m);
  t.regex(built.stdout, /^ {7}No dependencies in package\.json; nothing to install$/m);
  t.notRegex(built.stdout, /Warning/);
  assertNoSecrets(t, built);

  const released = await release('nodejs', app);
  t.is(released.code, 0);
  t.is(released.stdout, '---\ndefault_process_types:\n  web: node server.js\n');

  const web = await startWeb(t, app, webCommand(released.stdout));
  const res = await fetch(`${web.url}/`);
  t.is(res.status, 200);
  t.is(await res.text(), 'hello from v1');
  t.deepEqual(await web.stop(), { code: 0, signal: null });

  const greeted = await startWeb(t, app, 'node server.js', { GREETING: 'world' });
  t.is(await (await fetch(`${greeted.url}/`)).text(), 'hello from v1 world');
  t.deepEqual(await greeted.stop(), { code: 0, signal: null });
});

test('nodejs: a failing build script fails the compile with a clear message', async (t) => {
  const app = await makeApp(t, 'build-fails');
  const result = await compile('nodejs', app);
  t.not(result.code, 0);
  t.true(result.output.includes('intentional build failure'), result.output);
  t.regex(result.stderr, /^ ! {5}.*npm run build/m);
  assertNoSecrets(t, result);
});

test('nodejs: an unsatisfied engines.node warns and the build goes on', async (t) => {
  const app = await makeApp(t, 'node-hello');
  await editJson(path.join(app.build, 'package.json'), (pkg) => {
    pkg.engines = { node: '>=99' };
  });
  const result = await compile('nodejs', app);
  t.is(result.code, 0, result.output);
  t.regex(result.stdout, /^-----> Warning: .*engines\.node ">=99" is not satisfied/m);
  t.regex(result.stdout, /^-----> Node\.js app compiled$/m);
});

test('nodejs: a satisfied engines.node does not warn; an unparsable one does', async (t) => {
  const ok = await makeApp(t, 'node-hello');
  await editJson(path.join(ok.build, 'package.json'), (pkg) => {
    pkg.engines = { node: `>=18 <${Number(process.versions.node.split('.')[0]) + 1} || ^10.0.0` };
  });
  const satisfied = await compile('nodejs', ok);
  t.is(satisfied.code, 0, satisfied.output);
  t.notRegex(satisfied.stdout, /Warning/);

  const bad = await makeApp(t, 'node-hello');
  await editJson(path.join(bad.build, 'package.json'), (pkg) => {
    pkg.engines = { node: 'the latest one' };
  });
  const unparsable = await compile('nodejs', bad);
  t.is(unparsable.code, 0, unparsable.output);
  t.regex(unparsable.stdout, /^-----> Warning: could not parse .*engines\.node "the latest one"/m);
});

test('nodejs: installs (npm install, then npm ci from the lock), builds and prunes devDependencies offline', async (t) => {
  const app = await makeApp(t);
  for (const name of ['local-dep', 'local-dev']) {
    await mkdir(path.join(app.build, name));
    await writeFile(path.join(app.build, name, 'package.json'), JSON.stringify({ name, version: '1.0.0' }));
    await writeFile(path.join(app.build, name, 'index.js'), `module.exports = ${JSON.stringify(name)};\n`);
  }
  await writeFile(
    path.join(app.build, 'package.json'),
    JSON.stringify({
      name: 'with-deps',
      version: '1.0.0',
      private: true,
      dependencies: { 'local-dep': 'file:./local-dep' },
      devDependencies: { 'local-dev': 'file:./local-dev' },
      scripts: {
        // The build needs the devDependency; it must be installed even with NODE_ENV=production.
        build: `node -e "require('local-dev'); require('fs').writeFileSync('built.txt', 'ok')"`,
        start: 'node --enable-source-maps index.js',
      },
    }),
  );
  await writeFile(path.join(app.env, 'NODE_ENV'), 'production');

  const first = await compile('nodejs', app);
  t.is(first.code, 0, first.output);
  t.regex(first.stdout, /Running npm install/);
  t.regex(first.stdout, /^-----> Building \(npm run build\)$/m);
  t.regex(first.stdout, /^-----> Pruning devDependencies$/m);
  assertNoSecrets(t, first);
  t.is(await readFile(path.join(app.build, 'built.txt'), 'utf8'), 'ok');
  t.true(await exists(path.join(app.build, 'node_modules', 'local-dep')));
  t.false(await exists(path.join(app.build, 'node_modules', 'local-dev')), 'devDependencies are pruned');
  t.true(await exists(path.join(app.build, 'package-lock.json')));
  t.true(await exists(path.join(app.cache, 'npm')), 'the npm cache lives in CACHE_DIR');

  // Second build: the lock file now exists, so npm ci; NPM_CONFIG_PRODUCTION=false keeps devDependencies.
  await writeFile(path.join(app.env, 'NPM_CONFIG_PRODUCTION'), 'false');
  const second = await compile('nodejs', app);
  t.is(second.code, 0, second.output);
  t.regex(second.stdout, /Running npm ci/);
  t.regex(second.stdout, /^-----> Keeping devDependencies/m);
  t.true(await exists(path.join(app.build, 'node_modules', 'local-dev')));
  assertNoSecrets(t, second);

  const released = await release('nodejs', app);
  t.is(released.stdout, '---\ndefault_process_types:\n  web: node --enable-source-maps index.js\n');
});

test('nodejs: release picks the web command', async (t) => {
  const cases: { pkg: Record<string, unknown>; files?: string[]; want: string }[] = [
    { pkg: { scripts: { start: 'node server.js' } }, want: 'node server.js' },
    { pkg: { scripts: { start: '  node   dist/main.js  ' } }, want: 'node dist/main.js' },
    { pkg: { scripts: { start: 'node server.js', prestart: 'echo hi' } }, want: 'npm start' },
    { pkg: { scripts: { start: 'NODE_ENV=production node app.js' } }, want: 'npm start' },
    { pkg: { scripts: { start: 'node app.js && echo done' } }, want: 'npm start' },
    { pkg: { scripts: { start: "node -e 'x: 1'" } }, want: 'npm start' },
    { pkg: { scripts: { start: 'next start' } }, want: 'npm start' },
    { pkg: {}, files: ['server.js', 'index.js'], want: 'node server.js' },
    { pkg: { scripts: { build: 'tsc' } }, files: ['index.js'], want: 'node index.js' },
  ];
  for (const { pkg, files = [], want } of cases) {
    const app = await makeApp(t);
    await writeFile(path.join(app.build, 'package.json'), JSON.stringify(pkg));
    for (const f of files) await writeFile(path.join(app.build, f), '');
    const result = await release('nodejs', app);
    t.is(result.code, 0);
    t.is(result.stdout, `---\ndefault_process_types:\n  web: ${want}\n`, JSON.stringify(pkg));
  }
  const none = await makeApp(t);
  await writeFile(path.join(none.build, 'package.json'), '{}');
  t.is((await release('nodejs', none)).stdout, '--- {}\n');
});

test('nodejs: the engines range check', (t) => {
  const yes: [string, string][] = [
    ['20.20.2', '>=18'],
    ['20.20.2', '>= 18.0.0'],
    ['20.20.2', '^20.1.0'],
    ['20.20.2', '~20.20.0'],
    ['20.20.2', '20.x'],
    ['20.20.2', '20'],
    ['20.20.2', '*'],
    ['20.20.2', ''],
    ['20.20.2', '20.20.2'],
    ['20.20.2', 'v20.20.2'],
    ['20.20.2', '=20.20.2'],
    ['20.20.2', '14 || 16 || >=20'],
    ['20.20.2', '>=18 <21'],
    ['20.20.2', '18 - 20'],
    ['20.20.2', '<=20'],
    ['20.20.2', '>19'],
    ['0.2.5', '^0.2.3'],
    ['0.0.3', '^0.0.3'],
  ];
  const no: [string, string][] = [
    ['20.20.2', '>=99'],
    ['20.20.2', '^18.0.0'],
    ['20.20.2', '~20.19.0'],
    ['20.20.2', '18.x'],
    ['20.20.2', '20.20.3'],
    ['20.20.2', '14 || 16'],
    ['20.20.2', '>=18 <20'],
    ['20.20.2', '16 - 18'],
    ['20.20.2', '>20'],
    ['20.20.2', '<20.20.2'],
    ['0.3.0', '^0.2.3'],
    ['0.0.4', '^0.0.3'],
  ];
  for (const [version, range] of yes) t.true(satisfies(version, range), `${version} satisfies "${range}"`);
  for (const [version, range] of no) t.false(satisfies(version, range), `${version} does not satisfy "${range}"`);
  for (const range of ['latest', '>=abc', '^', '1.2.3.4', 'node 20']) {
    t.throws(() => satisfies('20.0.0', range), undefined, `"${range}" is unparsable`);
  }
});

// ---------------------------------------------------------------------------------------------
// static

test.serial('static: compiles, releases the file server, serves files safely and stops on SIGTERM', async (t) => {
  const app = await makeApp(t, 'static-site');
  await mkdir(path.join(app.build, 'docs'));
  await writeFile(path.join(app.build, 'docs', 'index.html'), '<p>docs</p>');
  await writeFile(path.join(app.build, '.env'), `TOKEN=${SECRET}`);

  const built = await compile('static', app);
  t.is(built.code, 0, built.output);
  t.regex(built.stdout, /^-----> Installing the static file server$/m);
  assertNoSecrets(t, built);
  t.true(await exists(path.join(app.build, '.scalarium', 'static-server.mjs')));

  const released = await release('static', app);
  t.is(released.code, 0);
  t.is(released.stdout, '---\ndefault_process_types:\n  web: node .scalarium/static-server.mjs\n');

  const web = await startWeb(t, app, webCommand(released.stdout));

  const index = await fetch(`${web.url}/`);
  t.is(index.status, 200);
  t.is(index.headers.get('content-type'), 'text/html; charset=utf-8');
  t.true((await index.text()).includes('Hello from the static site'));

  const css = await fetch(`${web.url}/style.css`);
  t.is(css.status, 200);
  t.is(css.headers.get('content-type'), 'text/css; charset=utf-8');
  t.true((await css.text()).includes('font-family'));

  const head = await fetch(`${web.url}/index.html`, { method: 'HEAD' });
  t.is(head.status, 200);
  t.true(Number(head.headers.get('content-length')) > 0);
  t.is(await head.text(), '');

  const dir = await fetch(`${web.url}/docs`, { redirect: 'manual' });
  t.is(dir.status, 301);
  t.is(dir.headers.get('location'), '/docs/');
  t.is(await (await fetch(`${web.url}/docs/`)).text(), '<p>docs</p>');

  t.is((await fetch(`${web.url}/missing.html`)).status, 404);
  t.is((await fetch(`${web.url}/.env`)).status, 404, 'dotfiles are not served');
  t.is((await fetch(`${web.url}/.scalarium/static-server.mjs`)).status, 404);
  t.is((await fetch(`${web.url}/`, { method: 'POST' })).status, 405);

  for (const attack of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/docs/../../../etc/passwd', '/..%2f..%2fetc%2fpasswd']) {
    const res = await rawGet(web.port, attack);
    t.is(res.status, 403, attack);
    t.false(res.body.includes('root:'), attack);
  }

  t.deepEqual(await web.stop(), { code: 0, signal: null });
  t.regex(web.logs(), /SIGTERM/);
});

test.serial('static: serves public/ when it exists, and nothing outside it', async (t) => {
  const app = await makeApp(t);
  await mkdir(path.join(app.build, 'public'));
  await writeFile(path.join(app.build, 'public', 'index.html'), '<p>from public</p>');
  await writeFile(path.join(app.build, 'notes.txt'), 'not public');
  const built = await compile('static', app);
  t.is(built.code, 0, built.output);
  t.regex(built.stdout, /Serving files from public\//);

  const web = await startWeb(t, app, webCommand((await release('static', app)).stdout));
  t.is(await (await fetch(`${web.url}/`)).text(), '<p>from public</p>');
  t.is((await fetch(`${web.url}/notes.txt`)).status, 404);
  t.is((await rawGet(web.port, '/../notes.txt')).status, 403);
  t.deepEqual(await web.stop(), { code: 0, signal: null });
});

// ---------------------------------------------------------------------------------------------
// procfile

test('procfile: compile only announces the Procfile; release has no defaults', async (t) => {
  const app = await makeApp(t, 'procfile-only');
  const built = await compile('procfile', app);
  t.is(built.code, 0, built.output);
  t.is(built.stdout, '-----> Using the Procfile\n');
  assertNoSecrets(t, built);
  const released = await release('procfile', app);
  t.is(released.code, 0);
  t.is(released.stdout, '--- {}\n');
  t.deepEqual(parseYaml(released.stdout), {});
  t.is(await readFile(path.join(app.build, 'Procfile'), 'utf8'), 'web: node web.js\n');
});
