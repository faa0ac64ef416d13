// The defects a hostile deployer of one app found, each replayed against a real server: archives
// whose single entry is a symlink into another app's repository, .buildpacks and Procfile symlinked
// to server files, gzip bombs and climbing archives, and archive URLs that point the server at
// itself, the metadata service or private ranges.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { createTestScalarium, type LocalTestScalarium } from '../helpers/harness.ts';
import { authedGitUrl, createAppRepo, type AppRepo } from '../helpers/app-repo.ts';
import { getViaRouter } from '../helpers/router-client.ts';

let server: LocalTestScalarium;
let victim: AppRepo;
let work: string;
/** A stand-in for a host on the internet (allowed by SCALARIUM_OUTBOUND_ALLOW) that serves files and redirects. */
let files: http.Server;
let filesUrl = '';
const served = new Map<string, Buffer | { redirect: string }>();

test.before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'scalarium-hostile-'));
  server = await createTestScalarium({ instances: 'local', env: { SCALARIUM_OUTBOUND_ALLOW: '127.0.0.2/32' } });
  files = http.createServer((req, res) => {
    const entry = served.get(req.url ?? '');
    if (!entry) return void res.writeHead(404).end();
    if ('redirect' in entry) return void res.writeHead(302, { location: entry.redirect }).end();
    res.writeHead(200, { 'content-type': 'application/gzip' }).end(entry);
  });
  await new Promise<void>((resolve) => files.listen(0, '127.0.0.2', resolve));
  filesUrl = `http://127.0.0.2:${(files.address() as AddressInfo).port}`;
  victim = await createAppRepo('node-hello');
  if ((await server.api('POST', '/api/apps', { name: 'victim' })).status !== 201) throw new Error('no victim');
  const push = await victim.push(authedGitUrl(server.url, 'victim', server.token));
  if (push.code !== 0) throw new Error(push.output);
});

test.after.always(async () => {
  files?.close();
  await server?.close();
  victim?.cleanup();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

async function createApp(name: string): Promise<void> {
  const res = await server.api('POST', '/api/apps', { name });
  if (res.status !== 201) throw new Error(JSON.stringify(res.body));
}

async function upload(app: string, tarball: Buffer): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.url}/api/apps/${app}/deploy`, {
    method: 'POST', headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/gzip' }, body: new Uint8Array(tarball),
  });
  return { status: res.status, body: await res.json() };
}

/** A tarball made by GNU tar from a folder built by `fill`. */
function tarOf(fill: (dir: string) => void, options: string[] = []): Buffer {
  const dir = fs.mkdtempSync(path.join(work, 'src-'));
  fill(dir);
  const out = path.join(work, `${path.basename(dir)}.tgz`);
  execFileSync('tar', ['-czf', out, ...options, '-C', dir, '.']);
  return fs.readFileSync(out);
}

/** A victim's repository, as it must stay. */
function victimRepoIntact(t: import('ava').ExecutionContext): void {
  const repo = path.join(server.dataDir, 'repos', 'victim.git');
  t.true(fs.existsSync(path.join(repo, 'HEAD')), 'the victim\'s repository still has its HEAD');
  t.true(fs.readdirSync(path.join(repo, 'objects')).length > 2, 'and its objects');
}

test('critical: an archive whose only entry is a symlink to another app\'s repository moves and deletes nothing', async (t) => {
  await createApp('linker');
  const tarball = tarOf((dir) => fs.symlinkSync(path.join(server.dataDir, 'repos', 'victim.git'), path.join(dir, 'top')));
  const res = await upload('linker', tarball);
  t.is(res.status, 422);
  victimRepoIntact(t);
  // And as a buildpack named by URL (the same "strip the top folder" code path once).
  served.set('/linked-pack.tgz', tarball);
  await server.api('PATCH', '/api/apps/linker/config', { BUILDPACK_URL: `${filesUrl}/linked-pack.tgz` });
  const pushed = await createAppRepo('static-site');
  t.teardown(() => pushed.cleanup());
  const push = await pushed.push(authedGitUrl(server.url, 'linker', server.token));
  t.not(push.code, 0);
  t.regex(push.output, /has no bin\/compile/);
  victimRepoIntact(t);
  t.is((await getViaRouter(server.routerPort, 'victim.localhost')).body, 'hello from v1');
});

test('high: .buildpacks symlinked to the admin token is refused, and the token is not echoed', async (t) => {
  await createApp('echoer');
  const repo = await createAppRepo('static-site');
  t.teardown(() => repo.cleanup());
  fs.symlinkSync(path.join(server.dataDir, 'initial-admin-token'), path.join(repo.dir, '.buildpacks'));
  await repo.commit('buildpacks is a link');
  const push = await repo.push(authedGitUrl(server.url, 'echoer', server.token));
  t.not(push.code, 0);
  t.regex(push.output, /\.buildpacks is a symbolic link/);
  t.false(push.output.includes(server.token), 'the admin token appears nowhere in the push output');
});

test('high: a Procfile symlinked to a server file is refused; its "command" never runs', async (t) => {
  await createApp('procer');
  const planted = path.join(work, 'planted-procfile');
  const marker = path.join(work, 'procfile-ran');
  fs.writeFileSync(planted, `web: touch ${marker}; node server.js\n`);
  const repo = await createAppRepo('node-hello');
  t.teardown(() => repo.cleanup());
  fs.symlinkSync(planted, path.join(repo.dir, 'Procfile'));
  await repo.commit('Procfile is a link');
  const push = await repo.push(authedGitUrl(server.url, 'procer', server.token));
  t.not(push.code, 0);
  t.regex(push.output, /Procfile is a symbolic link/);
  t.false(fs.existsSync(marker));
});

test('medium: a gzip bomb (a 10 GiB entry in 10 MiB) is refused before it is written, as an upload and as a buildpack', async (t) => {
  await createApp('bomber');
  // One tar header declaring 10 GiB, then zeros: what GNU tar would make of a 10 GiB file.
  const header = Buffer.alloc(512);
  header.write('bomb', 0);
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(`${(10 * 1024 ** 3).toString(8).padStart(11, '0')}\0`, 124);
  header.write('00000000000\0', 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const bomb = zlib.gzipSync(Buffer.concat([header, Buffer.alloc(10 * 1024 * 1024)]));
  t.true(bomb.length < 1024 * 1024);
  const before = fs.readdirSync(path.join(server.appsDir, 'builds')).length;
  const res = await upload('bomber', bomb);
  t.is(res.status, 422);
  t.regex(res.body.error.message, /unpacks to more than 2 GiB/);
  served.set('/bomb-pack.tgz', bomb);
  await server.api('PATCH', '/api/apps/bomber/config', { BUILDPACK_URL: `${filesUrl}/bomb-pack.tgz` });
  const repo = await createAppRepo('static-site');
  t.teardown(() => repo.cleanup());
  const push = await repo.push(authedGitUrl(server.url, 'bomber', server.token));
  t.not(push.code, 0);
  t.regex(push.output, /unpacks to more than 256 MiB/);
  t.true(fs.readdirSync(path.join(server.appsDir, 'builds')).length >= before);
  const buildArea = path.join(server.appsDir, 'builds', 'bomber');
  const size = (dir: string): number => fs.readdirSync(dir, { withFileTypes: true })
    .reduce((n, e) => n + (e.isDirectory() ? size(path.join(dir, e.name)) : fs.lstatSync(path.join(dir, e.name)).size), 0);
  t.true(size(buildArea) < 1024 * 1024, 'nothing of the bomb was kept');
});

test('archives that climb out, link to / or carry FIFOs write nothing outside, and those entries never reach the slug', async (t) => {
  await createApp('climber');
  const outside = path.join(work, `outside-${Date.now()}`);
  const climbing = tarOf((dir) => fs.writeFileSync(path.join(dir, 'payload'), 'x'), ['--transform', `s,payload,../../../../../../../${path.basename(outside)},`, '-P']);
  const climbed = await upload('climber', climbing);
  t.is(climbed.status, 422);
  t.regex(climbed.body.error.message, /contains "\.\."/);
  // An app with a symlink to / and a FIFO beside it: it deploys, without either.
  const linked = tarOf((dir) => {
    fs.cpSync(path.join(victim.dir, 'server.js'), path.join(dir, 'server.js'));
    fs.writeFileSync(path.join(dir, 'package.json'), '{"name":"linked","scripts":{"start":"node server.js"}}');
    fs.symlinkSync('/', path.join(dir, 'root'));
    execFileSync('mkfifo', [path.join(dir, 'fifo')]);
  });
  const res = await upload('climber', linked);
  t.is(res.status, 201, JSON.stringify(res.body));
  t.false(fs.existsSync(outside));
  const release = path.join(server.appsDir, 'instances', 'local-app-1', 'climber', res.body.slug);
  t.true(fs.existsSync(path.join(release, 'server.js')));
  t.false(fs.existsSync(path.join(release, 'fifo')), 'no FIFO');
  t.throws(() => fs.lstatSync(path.join(release, 'root')), undefined, 'no link to /');
  victimRepoIntact(t);
});

test('medium: archive URLs at this server, loopback, private ranges or the metadata service are refused before any connection', async (t) => {
  await createApp('fetcher');
  served.set('/to-internal', { redirect: `${server.url}/internal/agent.mjs` });
  served.set('/to-loopback', { redirect: 'http://127.0.0.1:9/x.tgz' });
  const port = new URL(server.url).port;
  const cases: Array<[string, RegExp]> = [
    [`http://127.0.0.1:${port}/internal/agent.mjs`, /loopback|own endpoint/],
    [`http://0x7f000001:${port}/api/apps`, /loopback|own endpoint/],
    [`http://localhost:${port}/api/apps`, /loopback|own endpoint/],
    ['http://[::1]:9/x.tgz', /loopback/],
    ['http://10.0.0.1/x.tgz', /private/],
    ['http://169.254.169.254/latest/meta-data/', /link-local/],
    [`${filesUrl}/to-internal`, /redirected to .*(loopback|own endpoint)/],
    [`${filesUrl}/to-loopback`, /redirected to .*loopback/],
  ];
  for (const [url, reason] of cases) {
    const res = await server.api('POST', '/api/apps/fetcher/deploy', { archive: url });
    t.is(res.status, 422, url);
    t.regex(res.body.error.message, /refused to fetch/, url);
    t.regex(res.body.error.message, reason, url);
    t.notRegex(res.body.error.message, /HTTP \d{3}/, `${url}: no status of the target is echoed`);
  }
});
