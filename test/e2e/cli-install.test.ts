// bin/scalarium.js runs the compiled CLI (dist/cli.mjs, scripts/build-cli.js), never one older than
// the sources. Those tests work on their own copy of the sources (cli/, server/, plugins/, bin/,
// scripts/) with a node_modules of links to this clone's packages, so that they can edit sources,
// and take tsx or esbuild away, without touching the clone; the copy is removed afterwards. The
// last test follows the README's first minutes against a real server: its first-start banner, the
// compiled CLI from another directory, and local instances started from the compiled program.
import test, { type ExecutionContext } from 'ava';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startTestServer } from '../helpers/server.ts';

const execFileAsync = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX = import.meta.resolve('tsx');
const COPIED = ['cli', 'server', 'plugins', 'bin', 'scripts', 'package.json', 'tsconfig.json'];

interface Copy {
  dir: string;
  /** node_modules: links to every package of the clone except those named. */
  linkModules(without?: string[]): void;
  /** `node bin/scalarium.js ...args` in the copy. */
  bin(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** The copy's TypeScript sources run through tsx, as bin/scalarium.js did before it was compiled. */
  source(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  build(): Promise<void>;
  /** Replaces `from` by `to` in a source file and gives it back its old mtime. */
  edit(file: string, from: string, to: string): void;
}

async function run(argv: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  // No TypeScript loader inherited from the test runner, and no saved login of the machine's user.
  const env = { PATH: process.env.PATH, HOME: cwd, XDG_CONFIG_HOME: path.join(cwd, '.config'), TMPDIR: path.join(cwd, '.tmp') };
  fs.mkdirSync(env.TMPDIR, { recursive: true });
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, argv, { cwd, env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw error;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

function copyOfSources(t: ExecutionContext): Copy {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scalarium-cli-install-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const entry of COPIED) {
    fs.cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true, filter: (source) => !source.endsWith('.test.ts') });
  }
  const copy: Copy = {
    dir,
    linkModules(without = []) {
      const modules = path.join(dir, 'node_modules');
      fs.rmSync(modules, { recursive: true, force: true });
      fs.mkdirSync(modules);
      for (const name of fs.readdirSync(path.join(ROOT, 'node_modules'))) {
        if (!name.startsWith('.') && !without.includes(name)) fs.symlinkSync(path.join(ROOT, 'node_modules', name), path.join(modules, name));
      }
    },
    bin: (args) => run([path.join(dir, 'bin', 'scalarium.js'), ...args], dir),
    source: (args) => run(['--import', TSX, path.join(dir, 'cli', 'main.ts'), ...args], dir),
    async build() {
      const result = await run([path.join(dir, 'scripts', 'build-cli.js')], dir);
      if (result.code !== 0) throw new Error(`the build failed: ${result.stderr}`);
    },
    edit(file, from, to) {
      const full = path.join(dir, file);
      const before = fs.statSync(full);
      const text = fs.readFileSync(full, 'utf8');
      if (!text.includes(from)) throw new Error(`${file} does not contain ${JSON.stringify(from)}: update this test`);
      fs.writeFileSync(full, text.replace(from, to));
      // As a checkout or `rsync -a` may leave it: the change must be seen by content, not by date.
      fs.utimesSync(full, before.atime, before.mtime);
    },
  };
  copy.linkModules();
  return copy;
}

const SAME_OUTPUT = [['--help'], ['version'], ['--version'], ['help', 'config:set'], ['apps:create', '--help'], ['no-such-command']];

test('the compiled CLI answers exactly as the TypeScript sources do, without tsx or esbuild installed', async (t) => {
  const copy = copyOfSources(t);
  await copy.build();
  const expected = await Promise.all(SAME_OUTPUT.map((args) => copy.source(args)));
  // Only the compiled file can run now: neither the TypeScript loader nor the compiler is there.
  copy.linkModules(['tsx', 'esbuild']);
  for (const [i, args] of SAME_OUTPUT.entries()) {
    const actual = await copy.bin(args);
    t.deepEqual(actual, expected[i], `scalarium ${args.join(' ')}`);
  }
  const version = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version as string;
  t.is(expected[1]!.stdout, `scalarium ${version}\n`);
  t.is(expected[5]!.code, 2, 'an unknown command is a usage error in both');
});

test('after a source changed, even one imported indirectly and with its old mtime, the CLI rebuilds and runs the new code', async (t) => {
  const copy = copyOfSources(t);
  await copy.build();
  const compiled = path.join(copy.dir, 'dist', 'cli.mjs');
  t.false(fs.readFileSync(compiled, 'utf8').includes('List apps, edited'));
  copy.edit('cli/commands/apps.ts', "summary: 'List apps'", "summary: 'List apps, edited'");

  const result = await copy.bin(['help', 'apps']);
  t.is(result.code, 0, result.stderr);
  t.regex(result.stdout, /^List apps, edited\.$/m);
  t.is(result.stderr, '', 'a rebuild that works is silent');
  t.true(fs.readFileSync(compiled, 'utf8').includes('List apps, edited'), 'dist/cli.mjs was rebuilt from the edited source');

  // The rebuilt file now runs on its own again.
  copy.linkModules(['tsx', 'esbuild']);
  const again = await copy.bin(['help', 'apps']);
  t.regex(again.stdout, /^List apps, edited\.$/m);
});

test('a stale build that cannot be rebuilt is not run: the sources run through tsx, with a hint', async (t) => {
  const copy = copyOfSources(t);
  await copy.build();
  const compiled = path.join(copy.dir, 'dist', 'cli.mjs');
  const stale = fs.readFileSync(compiled, 'utf8');
  copy.edit('cli/main.ts', 'the command line of Scalarium', 'the edited command line of Scalarium');
  copy.linkModules(['esbuild']); // the rebuild fails: no compiler

  const result = await copy.bin(['--help']);
  t.is(result.code, 0, result.stderr);
  t.true(result.stdout.includes('the edited command line of Scalarium'), 'the new code ran, not the stale build');
  t.regex(result.stderr, /cli\/main\.ts changed and dist\/cli\.mjs could not be rebuilt .*running the TypeScript sources/);
  t.true(result.stderr.includes('npm run build'), 'it says how to fix it');
  t.is(fs.readFileSync(compiled, 'utf8'), stale, 'dist/cli.mjs was left alone');
});

test('without any build (a clone installed with --ignore-scripts) the first call builds dist/cli.mjs', async (t) => {
  const copy = copyOfSources(t);
  t.false(fs.existsSync(path.join(copy.dir, 'dist')));
  const expected = await copy.source(['--help']);
  const result = await copy.bin(['--help']);
  t.deepEqual(result, expected);
  t.true(fs.existsSync(path.join(copy.dir, 'dist', 'cli.mjs')));
});

test('the first-start banner gives a login line that works verbatim from any directory, and instances run compiled', async (t) => {
  const server = await startTestServer();
  t.teardown(() => server.cleanup());
  const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'scalarium-app-dir-'));
  t.teardown(() => fs.rmSync(elsewhere, { recursive: true, force: true }));

  const line = /^Log in: +scalarium login --server (\S+) --token "\$\(cat (\S+)\)"$/m.exec(server.output());
  if (!line) return t.fail(`no login line in the banner:\n${server.output()}`);
  const tokenFile = line[2]!;
  t.is(line[1], server.url);
  t.is(tokenFile, path.join(server.dataDir, 'initial-admin-token'), 'the absolute path of the token file');
  t.true(server.output().includes(`(also in ${tokenFile}, mode 0600)`));

  // What the shell makes of "$(cat FILE)", run from a directory that is not the server's.
  const token = fs.readFileSync(tokenFile, 'utf8').trim();
  const cli = (args: string[]) => run([path.join(ROOT, 'bin', 'scalarium.js'), ...args], elsewhere);
  const login = await cli(['login', '--server', line[1]!, '--token', token]);
  t.is(login.code, 0, login.stderr);
  t.regex(login.stdout, /Logged in to .* as admin/);
  const apps = await cli(['apps']);
  t.is(apps.code, 0, apps.stderr);
  t.regex(apps.stdout, /No apps yet/);

  // The local cluster's agent and router run the compiled instance program, marked with their dir.
  for (const id of ['local-app-1', 'local-router-1']) {
    const dir = path.join(server.dataDir, 'instances', id);
    const pid = fs.readFileSync(path.join(dir, 'pid'), 'utf8').trim();
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    t.is(argv[0], process.execPath, id);
    t.regex(argv[1]!, /\/agent-bundle\/agent-[0-9a-f]{16}\.mjs$/, id);
    t.deepEqual(argv.slice(2), ['--instance-dir', dir], id);
  }
});
