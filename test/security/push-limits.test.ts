// Pushes have a size limit (SCALARIUM_MAX_PUSH_MB): the real git client pushes over HTTP to a real
// server started with a 1 MB limit. A larger push is refused whether git streams it chunked (the
// usual case) or announces its Content-Length, nothing of it is stored, and a small push still works.
// The server runs in-process with FAKE instances (test/helpers/harness.ts): the limit is the HTTP
// layer's, and the last push deploys through the real build, release and rollout onto the fakes.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { loadConfig } from '../../server/core/config.ts';
import { createTestScalarium, type TestScalarium } from '../helpers/harness.ts';
import { authedGitUrl, createAppRepo, type AppRepo } from '../helpers/app-repo.ts';

const APP = 'bulky';
let server: TestScalarium;
let repo: AppRepo;
let remote: string;
let v1: string;

async function remoteMain(): Promise<string> {
  return (await repo.git('ls-remote', remote, 'refs/heads/main')).stdout.split('\t')[0] ?? '';
}

/** Every file and folder under the app's bare repository, with its size. */
function repoEntries(): Array<{ entry: string; size: number }> {
  const root = path.join(server.dataDir, 'repos', `${APP}.git`);
  return (fs.readdirSync(root, { recursive: true }) as string[]).map((entry) => ({ entry, size: fs.statSync(path.join(root, entry)).size }));
}

const quarantined = ({ entry }: { entry: string }): boolean => entry.includes('incoming-') || entry.includes('tmp_pack');

function basicAuth(): string {
  return `Basic ${Buffer.from(`scalarium:${server.token}`).toString('base64')}`;
}

/** git push with extra `-c` settings; never throws. */
async function push(...config: string[]): Promise<{ code: number; output: string }> {
  const args = config.flatMap((c) => ['-c', c]);
  try {
    const { stdout, stderr } = await repo.git(...args, 'push', '--porcelain', remote, 'main:main');
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** Nothing of a refused push reached the repository: no branch, no release, no big file, no quarantine. */
async function assertNothingStored(t: import('ava').ExecutionContext): Promise<void> {
  t.is(await remoteMain(), '', 'main was not created');
  const releases = await server.api('GET', `/api/apps/${APP}/releases`);
  t.is(releases.status, 200);
  t.deepEqual(releases.body, []);
  // receive-pack discards its quarantine as it fails, possibly just after the client gave up.
  let entries = repoEntries();
  for (let i = 0; i < 50 && entries.some(quarantined); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    entries = repoEntries();
  }
  t.deepEqual(entries.filter(quarantined), [], 'no quarantine left');
  t.deepEqual(entries.filter(({ size }) => size > 512 * 1024), [], 'no large object stored');
}

test('SCALARIUM_MAX_PUSH_MB: 1 GiB by default, a positive whole number of MB otherwise', (t) => {
  t.is(loadConfig({}).maxPushBytes, 1024 * 1024 * 1024);
  t.is(loadConfig({ SCALARIUM_MAX_PUSH_MB: '5' }).maxPushBytes, 5 * 1024 * 1024);
  for (const value of ['0', '-1', '1.5', 'abc', '1e3', ' ']) {
    t.throws(() => loadConfig({ SCALARIUM_MAX_PUSH_MB: value }), { message: /SCALARIUM_MAX_PUSH_MB/ }, value);
  }
});

test.before(async () => {
  server = await createTestScalarium({ env: { SCALARIUM_MAX_PUSH_MB: '1' } });
  repo = await createAppRepo('node-hello');
  v1 = (await repo.git('rev-parse', 'HEAD')).stdout.trim();
  remote = authedGitUrl(server.url, APP, server.token);
  const created = await server.api('POST', '/api/apps', { name: APP });
  if (created.status !== 201) throw new Error(JSON.stringify(created.body));
  // 3 MB that no compression can shrink: the pack is at least that large.
  fs.writeFileSync(path.join(repo.dir, 'blob.bin'), crypto.randomBytes(3 * 1024 * 1024));
  await repo.commit('a large file');
});

test.after.always(async () => {
  await server?.close();
  repo?.cleanup();
});

test.serial('a chunked push over the limit is cut off: git fails and nothing is stored', async (t) => {
  // git streams any pack larger than http.postBuffer (1 MiB by default) chunked, without a length.
  const result = await push();
  t.not(result.code, 0, result.output);
  // Usually "HTTP 413"; when the connection closes before curl reads the answer, a send failure.
  t.regex(result.output, /RPC failed/, result.output);
  await assertNothingStored(t);
});

test.serial('a push announcing a Content-Length over the limit gets 413 before git runs', async (t) => {
  // A post buffer larger than the pack makes git send it in one request with a Content-Length.
  const result = await push('http.postBuffer=16m');
  t.not(result.code, 0, result.output);
  t.regex(result.output, /413/, result.output);
  await assertNothingStored(t);
});

test.serial('the 413 says the limit and how to raise it', async (t) => {
  const res = await fetch(`${server.url}/${APP}.git/git-receive-pack`, {
    method: 'POST',
    headers: { authorization: basicAuth(), 'content-type': 'application/x-git-receive-pack-request', 'content-length': String(2 * 1024 * 1024) },
    body: Buffer.alloc(2 * 1024 * 1024),
  });
  t.is(res.status, 413);
  const text = await res.text();
  t.regex(text, /limit of 1 MB/);
  t.regex(text, /SCALARIUM_MAX_PUSH_MB/);
});

test.serial('a gzip-encoded push is counted after inflating: a small body that inflates past the limit is refused', async (t) => {
  // What a crafted client could send: a real push whose pack stores a 3 MB blob uncompressed, gzipped
  // to a few kilobytes (git itself does not gzip pushes).
  await repo.git('checkout', '-q', '-b', 'zeros', v1);
  t.teardown(() => repo.git('checkout', '-q', 'main'));
  fs.writeFileSync(path.join(repo.dir, 'zeros.bin'), Buffer.alloc(3 * 1024 * 1024));
  const commit = await repo.commit('zeros');
  const pack = execFileSync('git', ['-c', 'pack.compression=0', 'pack-objects', '--revs', '--stdout', '-q'], { cwd: repo.dir, input: 'HEAD\n', maxBuffer: 64 * 1024 * 1024 });
  t.true(pack.length > 3 * 1024 * 1024);
  const command = `${'0'.repeat(40)} ${commit} refs/heads/zeros\0report-status\n`;
  const pkt = (line: string) => `${(line.length + 4).toString(16).padStart(4, '0')}${line}`;
  const bomb = zlib.gzipSync(Buffer.concat([Buffer.from(`${pkt(command)}0000`), pack]));
  t.true(bomb.length < 64 * 1024, `${bomb.length} bytes`);

  const post = (body: Buffer) =>
    fetch(`${server.url}/${APP}.git/git-receive-pack`, {
      method: 'POST',
      headers: { authorization: basicAuth(), 'content-type': 'application/x-git-receive-pack-request', 'content-encoding': 'gzip' },
      body: new Uint8Array(body),
    });
  const refused = await post(bomb);
  t.is(refused.status, 413);
  t.regex(await refused.text(), /limit of 1 MB/);
  // A small gzip body still reaches git, inflated (a lone flush packet: nothing to do).
  const fine = await post(zlib.gzipSync(Buffer.from('0000')));
  t.is(fine.status, 200);
  await fine.arrayBuffer();
  const corrupt = await post(Buffer.from('not gzip at all'));
  t.is(corrupt.status, 400);
  await corrupt.arrayBuffer();
  t.is((await repo.git('ls-remote', remote, 'refs/heads/zeros')).stdout, '');
  await assertNothingStored(t);
});

test.serial('a push within the limit still deploys afterwards', async (t) => {
  await repo.git('reset', '-q', '--hard', v1);
  const result = await push();
  t.is(result.code, 0, result.output);
  t.is(await remoteMain(), v1);
  const releases = await server.api('GET', `/api/apps/${APP}/releases`);
  t.is(releases.body.length, 1, JSON.stringify(releases.body));
});
