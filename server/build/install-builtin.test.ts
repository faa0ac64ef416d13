// The built-in buildpacks are published at every start, but a copy made from the same sources is
// kept (not copied and bundled again); any change to the sources, or a missing copy, publishes anew.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import type { Scalarium } from '../core/scalarium.ts';
import { installBuiltinBuildpacks } from './workspace.ts';

function setUp() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'scalarium-builtin-'));
  const sources = path.join(root, 'repo', 'buildpacks');
  fs.mkdirSync(path.join(sources, 'demo', 'bin'), { recursive: true });
  fs.writeFileSync(path.join(sources, 'demo', 'bin', 'detect'), '#!/bin/sh\necho demo\n', { mode: 0o755 });
  fs.writeFileSync(path.join(root, 'repo', 'package-lock.json'), '{"lockfileVersion":3}\n');
  const appsDir = path.join(root, 'apps');
  // installBuiltinBuildpacks reads only config.appsDir.
  const scalarium = { config: { appsDir } } as unknown as Scalarium;
  const published = path.join(appsDir, 'buildpacks', 'demo');
  const install = () => installBuiltinBuildpacks(scalarium, sources, ['demo']);
  return { root, sources, published, install, remove: () => fs.rmSync(root, { recursive: true, force: true }) };
}

test('the same sources keep the published copy; a changed file, mode, lockfile or a missing copy publish again', async (t) => {
  const { root, sources, published, install, remove } = setUp();
  t.teardown(remove);
  const detect = path.join(published, 'bin', 'detect');
  await install();
  t.is(fs.readFileSync(detect, 'utf8'), '#!/bin/sh\necho demo\n');
  t.false(fs.existsSync(path.join(published, '.source-sha256')), 'the digest is not inside what builds see');
  const first = fs.statSync(published).ino;

  await install();
  t.is(fs.statSync(published).ino, first, 'kept');

  fs.writeFileSync(path.join(sources, 'demo', 'bin', 'detect'), '#!/bin/sh\necho demo 2\n');
  await install();
  t.is(fs.readFileSync(detect, 'utf8'), '#!/bin/sh\necho demo 2\n', 'a changed file is published');
  const second = fs.statSync(published).ino;

  fs.chmodSync(path.join(sources, 'demo', 'bin', 'detect'), 0o644);
  await install();
  t.is(fs.statSync(detect).mode & 0o111, 0, 'a changed mode is published');
  t.not(fs.statSync(published).ino, second);
  const third = fs.statSync(published).ino;

  fs.writeFileSync(path.join(root, 'repo', 'package-lock.json'), '{"lockfileVersion":3,"packages":{}}\n');
  await install();
  t.not(fs.statSync(published).ino, third, 'a new lockfile may change what helpers bundle');

  fs.rmSync(published, { recursive: true });
  await install();
  t.true(fs.existsSync(detect), 'a copy removed by hand comes back');
});
