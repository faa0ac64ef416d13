// The Heroku classic buildpack contract as builds keep it (docs/buildpacks.md): real pushes with
// real git into the in-process server (test/helpers/harness.ts; its instances are fakes, the
// builds are real, sandboxed as the apps' build uids), with the small shell buildpacks of
// test/fixtures/buildpacks given by path, by git URL and by tarball URL.
import test, { type ExecutionContext } from 'ava';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestScalarium, type TestScalarium } from '../../test/helpers/harness.ts';
import { authedGitUrl, createAppRepo, type AppRepo } from '../../test/helpers/app-repo.ts';
import { startGitHttpServer, type GitHttpServer } from './git-http-server.ts';

const PACKS = fileURLToPath(new URL('../../test/fixtures/buildpacks/', import.meta.url)).replace(/\/$/, '');
const pack = (name: string) => path.join(PACKS, name);

// 127.0.0.2 plays a host on the internet (git and tarball servers); the server reads this per fetch.
process.env.SCALARIUM_OUTBOUND_ALLOW = '127.0.0.2/32';

let s: TestScalarium;
let forge: GitHttpServer;
test.before(async () => {
  s = await createTestScalarium({ env: { SCALARIUM_BUILDPACK_DIRS: PACKS } });
  forge = await startGitHttpServer();
});
test.after.always(async () => {
  await forge?.close();
  await s?.close();
});

/** A new app with these config vars and a repository of the fixture, ready to push. */
async function app(t: ExecutionContext, name: string, config: Record<string, string>, fixture = 'node-hello'): Promise<{ repo: AppRepo; push: () => Promise<{ code: number; output: string }> }> {
  t.is((await s.api('POST', '/api/apps', { name })).status, 201);
  if (Object.keys(config).length) t.is((await s.api('PATCH', `/api/apps/${name}/config`, config)).status, 200);
  const repo = await createAppRepo(fixture);
  t.teardown(() => repo.cleanup());
  const url = authedGitUrl(s.url, name, s.token);
  return {
    repo,
    push: async () => {
      await repo.commit(`build ${Date.now()}`);
      return repo.push(url);
    },
  };
}

const releases = async (name: string) => ((await s.api('GET', `/api/apps/${name}/releases`)).body as unknown[]).length;

test.serial('CACHE_DIR exists on the first build, is kept for the next, and builds:cache:clear empties it (audited)', async (t) => {
  const { repo, push } = await app(t, 'cached', { BUILDPACK_URL: pack('probe-pack') });
  const first = await push();
  t.is(first.code, 0, first.output);
  t.regex(first.output, /cache before: none/);
  const second = await push();
  t.is(second.code, 0, second.output);
  t.regex(second.output, /cache before: xnone/, 'what the first build cached is there');

  const cleared = await s.api('DELETE', '/api/apps/cached/build-cache');
  t.is(cleared.status, 200, JSON.stringify(cleared.body));
  t.deepEqual(cleared.body, { app: 'cached', cleared: true });
  const audit = (await s.api('GET', '/api/audit?action=build-cache.clear')).body as Array<{ action: string; target: string }>;
  t.true(Array.isArray(audit) && audit.some((a) => a.action === 'build-cache.clear' && a.target === 'cached'), JSON.stringify(audit));

  const third = await push();
  t.is(third.code, 0, third.output);
  t.regex(third.output, /cache before: none/, 'the next build starts clean');
  t.regex(third.output, new RegExp(`SOURCE_VERSION=${(await repo.git('rev-parse', 'HEAD')).stdout.trim()} `), 'SOURCE_VERSION is the commit');
  t.regex(third.output, /STACK=(scalarium-local|heroku-\d\d) /);
  t.is((await s.api('DELETE', '/api/apps/nope/build-cache')).status, 404);
});

test.serial('a single chosen buildpack whose bin/detect refuses the app fails the build like Heroku; nothing is released', async (t) => {
  const { push } = await app(t, 'refused', { BUILDPACK_URL: pack('refuses-pack') });
  const pushed = await push();
  t.not(pushed.code, 0, pushed.output);
  t.regex(pushed.output, new RegExp(`App not compatible with buildpack: ${pack('refuses-pack')} \\(its bin/detect exited with code 1: no Gemfile in the app\\)`));
  t.notRegex(pushed.output, /Refuses pack compiling/, 'its bin/compile never ran');
  t.is(await releases('refused'), 0);
});

test.serial('several buildpacks all run in order: detect reported, exports sourced, config_vars become defaults the app overrides, the last one\'s process types', async (t) => {
  const { repo, push } = await app(t, 'multi', { SHARED: 'set-by-the-app' });
  repo.write('.buildpacks', `${pack('refuses-pack')}\n${pack('export-pack')}\n# a comment\n${pack('probe-pack')}\n`);
  const pushed = await push();
  t.is(pushed.code, 0, pushed.output);
  t.regex(pushed.output, /Using buildpacks from \.buildpacks:/);
  t.regex(pushed.output, /Buildpack 1 of 3: .*refuses-pack \(its bin\/detect exited with code 1: no Gemfile in the app; it runs anyway/);
  t.regex(pushed.output, /Refuses pack compiling anyway[\s\S]*Export pack compiling[\s\S]*Probe pack compiling/);
  t.regex(pushed.output, /Buildpack 3 of 3: .*probe-pack \(bin\/detect: Probe pack\)/);
  t.regex(pushed.output, /FROM_EXPORT=set-by-export-pack/, 'the export file of an earlier buildpack is sourced');
  t.regex(pushed.output, /Default config vars from the buildpacks: PACK_DEFAULT\s*$/m);
  const config = (await s.api('GET', '/api/apps/multi/config')).body as Record<string, string>;
  t.is(config.PACK_DEFAULT, 'from-export-pack');
  t.is(config.SHARED, 'set-by-the-app', 'the app\'s own config var wins');
  const [latest] = (await s.api('GET', '/api/apps/multi/releases')).body as Array<{ processTypes: Record<string, string> }>;
  t.deepEqual(latest!.processTypes, { web: 'node probe-server.js' }, 'the last buildpack decides the process types');
});

test.serial('a git URL buildpack is fetched at its ref (tag or branch) and named in the build output', async (t) => {
  const url = forge.publish('probe-pack', pack('probe-pack'), ['v1']);
  const { push } = await app(t, 'from-git', { BUILDPACK_URL: `${url}#v1` });
  const tagged = await push();
  t.is(tagged.code, 0, tagged.output);
  t.regex(tagged.output, new RegExp(`Using buildpack from BUILDPACK_URL: ${url}#v1`));
  t.regex(tagged.output, /Probe pack compiling/);
  t.is((await s.api('PATCH', '/api/apps/from-git/config', { BUILDPACK_URL: url })).status, 200);
  const head = await push();
  t.is(head.code, 0, head.output);
  t.regex(head.output, /cache before: xnone/, 'one cache for every ref of the repository');

  t.is((await s.api('PATCH', '/api/apps/from-git/config', { BUILDPACK_URL: `${url}#no-such-tag` })).status, 200);
  const released = await releases('from-git');
  const missing = await push();
  t.not(missing.code, 0);
  t.regex(missing.output, /could not fetch buildpack .*#no-such-tag: .*no-such-tag/);
  t.is((await s.api('PATCH', '/api/apps/from-git/config', { BUILDPACK_URL: `${url.replace('127.0.0.2', '127.0.0.1')}#v1` })).status, 200);
  const loopback = await push();
  t.not(loopback.code, 0);
  t.regex(loopback.output, /refused to fetch 127\.0\.0\.1:\d+: 127\.0\.0\.1 is a loopback address/);
  t.is(await releases('from-git'), released + 1, 'only the config change made a release');
});

test.serial('a tarball URL that serves no tarball says why: the unpacker\'s reason and what the download is', async (t) => {
  const pages = http.createServer((req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!DOCTYPE html><html><body>a repository page</body></html>'));
  await new Promise<void>((resolve) => pages.listen(0, '127.0.0.2', resolve));
  t.teardown(() => new Promise<void>((resolve) => pages.close(() => resolve())));
  const url = `http://127.0.0.2:${(pages.address() as AddressInfo).port}/owner/pack.tgz`;
  const { push } = await app(t, 'html-pack', { BUILDPACK_URL: url });
  const pushed = await push();
  t.not(pushed.code, 0);
  t.regex(pushed.output, /buildpack http:\/\/127\.0\.0\.2:\d+\/owner\/pack\.tgz: the file is empty or not a tar archive \(\.tar or \.tar\.gz\); the download is an HTML page \(a buildpack URL must serve a \.tgz/);
  t.notRegex(pushed.output, /a repository page/, 'the body is not echoed');
  t.notRegex(pushed.output, /tar -czf app\.tar\.gz/, 'no advice meant for app archives');
});

test.serial('a Procfile that replaces the detected buildpack\'s default process type is reported', async (t) => {
  const { repo, push } = await app(t, 'static-proc', {}, 'static-site');
  repo.write('Procfile', 'web: node server.js\n');
  fs.writeFileSync(path.join(repo.dir, 'server.js'), '');
  const pushed = await push();
  t.is(pushed.code, 0, pushed.output);
  t.regex(pushed.output, /Static site detected/);
  t.regex(pushed.output, /The Procfile's web process \(node server\.js\) replaces the default of Static HTML \(node \.scalarium\/static-server\.mjs\)/);
});
