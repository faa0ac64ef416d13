#!/usr/bin/env node
// The server is TypeScript; tsx runs it without a build step.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// tsx keeps (and cleans) its compile cache below $TMPDIR. As root, /tmp is shared with the apps'
// uids, which could plant or swap entries there: root's own private folder instead.
if (process.getuid?.() === 0) {
  const tmp = path.join(os.homedir(), '.cache', 'scalarium', 'tmp');
  fs.mkdirSync(tmp, { recursive: true, mode: 0o700 });
  fs.chmodSync(tmp, 0o700);
  process.env.TMPDIR = tmp;
}
const { register } = await import('tsx/esm/api');
register();
// The composition root: core (server/) gets the built-in plugins from here, never imports them.
const { main } = await import('../server/main.ts');
const { builtinPlugins } = await import('../plugins/builtin.ts');
process.exit(await main(process.argv.slice(2), builtinPlugins()));
