import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { createHooks } from './scalarium.ts';
import { newToken } from '../db/identity.ts';
import { ROOT } from '../../test/helpers/server.ts';
import { createTestScalarium } from '../../test/helpers/harness.ts';

test('the hooks object is frozen', (t) => {
  const hooks = createHooks();
  t.true(Object.isFrozen(hooks));
  t.throws(() => {
    (hooks as Record<string, unknown>).extra = 1;
  });
});

// A declared hook nobody taps is a promise the code does not keep (test/plugins/hook-order.test.ts
// checks that they are called, and in which order).
test('every hook has a tap of a built-in plugin', async (t) => {
  const server = await createTestScalarium();
  t.teardown(() => server.close());
  const { hooks } = server.scalarium;
  const taps = (name: string, hook: unknown) => (name === 'build' ? hooks.build.get('buildpack')?.taps.length ?? 0 : (hook as { taps: unknown[] }).taps.length);
  const untapped = Object.entries(hooks).filter(([name, hook]) => taps(name, hook) === 0).map(([name]) => name);
  t.deepEqual(untapped, []);
});

test('every async hook is called with promise() and taps with tapPromise', async (t) => {
  const hooks = createHooks();
  const seen: string[] = [];
  hooks.receive.tapPromise('first', async () => undefined);
  hooks.receive.tapPromise('veto', async (push) => `no pushes to ${push.app.name}`);
  hooks.receive.tapPromise('never', async () => {
    seen.push('never');
    return undefined;
  });
  const reason = await hooks.receive.promise({ app: { name: 'x' } } as never);
  t.is(reason, 'no pushes to x');
  t.deepEqual(seen, [], 'the first rejection wins');
});

function runServer(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'scalarium-server.js'), 'start'], {
      env: { ...process.env, SCALARIUM_PORT: '0', SCALARIUM_ROUTER_PORT: '0', SCALARIUM_APPS_DIR: `${env.SCALARIUM_DATA_DIR}-apps`, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c));
    child.stderr.on('data', (c: Buffer) => (output += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

test('a plugin that fails to load stops start-up with a clear message', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scalarium-plugin-'));
  fs.chmodSync(dir, 0o711); // the apps dir inside must be reachable by apps' uids
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const broken = path.join(dir, 'broken.mjs');
  fs.writeFileSync(broken, "export default { name: 'broken', apply() { throw new Error('needs FOO_API_KEY'); } };\n");
  const failed = await runServer({ SCALARIUM_DATA_DIR: path.join(dir, 'data'), SCALARIUM_PLUGINS: broken });
  t.is(failed.code, 1);
  t.regex(failed.output, /plugin "broken" failed to start: needs FOO_API_KEY/);
  t.notRegex(failed.output, /listening/, 'it stopped before serving anything');

  const missing = await runServer({ SCALARIUM_DATA_DIR: path.join(dir, 'data2'), SCALARIUM_PLUGINS: path.join(dir, 'nope.mjs') });
  t.is(missing.code, 1);
  t.regex(missing.output, /plugin ".*nope\.mjs" could not be imported/);

  const shapeless = path.join(dir, 'shapeless.mjs');
  fs.writeFileSync(shapeless, 'export default 42;\n');
  const bad = await runServer({ SCALARIUM_DATA_DIR: path.join(dir, 'data3'), SCALARIUM_PLUGINS: shapeless });
  t.is(bad.code, 1);
  t.regex(bad.output, /must export default \{ name, apply\(scalarium\) \}/);
});

test('SCALARIUM_ADMIN_TOKEN must be a real token, and is gone from the environment once read', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scalarium-admin-token-'));
  fs.chmodSync(dir, 0o711);
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const malformed = await runServer({ SCALARIUM_DATA_DIR: path.join(dir, 'data'), SCALARIUM_ADMIN_TOKEN: 'hunter2' });
  t.is(malformed.code, 2);
  t.regex(malformed.output, /SCALARIUM_ADMIN_TOKEN is not a Scalarium token .*npx scalarium-server new-token/);
  t.false(fs.existsSync(path.join(dir, 'data')), 'refused before anything was created');

  // A plugin runs inside the server: whatever it (or anything the server starts) sees of the
  // environment no longer holds the admin's token. It reports and stops the server.
  const report = path.join(dir, 'seen');
  const spy = path.join(dir, 'spy.mjs');
  fs.writeFileSync(spy, `import fs from 'node:fs';
export default { name: 'env-spy', apply() {
  fs.writeFileSync(${JSON.stringify(report)}, String(process.env.SCALARIUM_ADMIN_TOKEN ?? 'absent'));
  throw new Error('reported');
} };
`);
  const token = newToken();
  const started = await runServer({ SCALARIUM_DATA_DIR: path.join(dir, 'data2'), SCALARIUM_ADMIN_TOKEN: token, SCALARIUM_PLUGINS: spy });
  t.regex(started.output, /plugin "env-spy" failed to start: reported/);
  t.is(fs.readFileSync(report, 'utf8'), 'absent');
});
