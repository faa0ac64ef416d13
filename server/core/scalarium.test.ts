import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { createHooks } from './scalarium.ts';
import { ROOT } from '../../test/helpers/server.ts';

test('the hooks object is frozen and its list is reviewed (snapshot)', (t) => {
  const hooks = createHooks();
  t.true(Object.isFrozen(hooks));
  t.throws(() => {
    (hooks as Record<string, unknown>).extra = 1;
  });
  const list = Object.entries(hooks).map(([name, hook]) => `${name}: ${hook.constructor.name}`);
  t.snapshot(list);
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
      env: { ...process.env, SCALARIUM_PORT: '0', SCALARIUM_ROUTER_PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
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
