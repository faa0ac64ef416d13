// The nodejs buildpack's engines.node check as builds run it: from the copy the server publishes
// outside this repository (no node_modules there), with the semver package bundled into it.
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { createTestScalarium } from '../../test/helpers/harness.ts';
import { authedGitUrl, createAppRepo } from '../../test/helpers/app-repo.ts';
import { builtinBuildpacksDir } from '../../server/build/workspace.ts';

test('engines.node is checked with npm\'s range rules by the published buildpack: satisfied, not satisfied, unparsable', async (t) => {
  const s = await createTestScalarium();
  t.teardown(() => s.close());
  const published = path.join(builtinBuildpacksDir(s.scalarium), 'nodejs', 'lib', 'semver.mjs');
  t.notRegex(fs.readFileSync(published, 'utf8'), /from ['"]semver/, 'semver is bundled in, not imported');

  t.is((await s.api('POST', '/api/apps', { name: 'engines' })).status, 201);
  const repo = await createAppRepo('node-hello');
  t.teardown(() => repo.cleanup());
  const url = authedGitUrl(s.url, 'engines', s.token);
  const pkg = JSON.parse(fs.readFileSync(path.join(repo.dir, 'package.json'), 'utf8'));
  const pushWith = async (range: string) => {
    repo.write('package.json', `${JSON.stringify({ ...pkg, engines: { node: range } }, null, 2)}\n`);
    await repo.commit(`engines ${range}`);
    const pushed = await repo.push(url);
    t.is(pushed.code, 0, pushed.output);
    return pushed.output;
  };
  t.regex(await pushWith('>=18 <21 || 22.x'), /engines\.node ">=18 <21 \|\| 22\.x" is satisfied/);
  t.regex(await pushWith('^18.0.0'), /Warning: package\.json engines\.node "\^18\.0\.0" is not satisfied by the host's Node\.js/);
  t.regex(await pushWith('latest'), /Warning: could not parse package\.json engines\.node "latest"/);
});
