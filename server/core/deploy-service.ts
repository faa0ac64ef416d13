// One-click deployment: deploy the latest or a chosen commit of the app's repository, a chosen
// release, or source that does not come from git at all — an HTTP(S) archive URL or an uploaded
// tarball ("out of source control systems or via http downloads").
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform } from 'node:stream';
import type { Scalarium } from './scalarium.ts';
import type { Principal } from '../db/identity.ts';
import type { Release } from '../db/releases.ts';
import type { Output } from './types.ts';
import { ScalariumError } from './errors.ts';
import { withAppLock } from './app-lock.ts';
import { buildSource, releaseAndDeploy, type BuildSource } from './pipeline.ts';
import { repoStore, requireApp, rollback } from './app-service.ts';
import { extractCommit } from '../build/source.ts';
import { dataPaths } from './paths.ts';
import { audit } from './audit.ts';

const execFileAsync = promisify(execFile);
export const MAX_ARCHIVE_BYTES = 512 * 1024 * 1024;

export type DeployRequest =
  | { kind: 'commit'; ref?: string }
  | { kind: 'release'; version: unknown }
  | { kind: 'archive'; url: string }
  | { kind: 'upload'; body: Readable };

const silent: Output = { line: () => {} };

/** Streams into a file, refusing more than the limit. */
async function saveLimited(body: Readable, file: string): Promise<string> {
  let size = 0;
  const hash = crypto.createHash('sha256');
  const limiter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size > MAX_ARCHIVE_BYTES) return done(new ScalariumError('body_too_large'));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  await pipeline(body, limiter, fs.createWriteStream(file, { mode: 0o600 }));
  return hash.digest('hex');
}

/** Unpacks a .tar or .tar.gz; a single top-level folder (as forges make them) becomes the root. */
async function unpack(archive: string, dir: string): Promise<void> {
  const head = Buffer.alloc(2);
  const fd = await fsp.open(archive, 'r');
  await fd.read(head, 0, 2, 0);
  await fd.close();
  const gzip = head[0] === 0x1f && head[1] === 0x8b;
  try {
    await execFileAsync('tar', [gzip ? '-xzf' : '-xf', archive, '-C', dir, '--no-same-owner']);
  } catch (error) {
    throw new ScalariumError('build_failed', { reason: `the archive could not be unpacked: ${String((error as { stderr?: string }).stderr ?? (error as Error).message).trim().slice(0, 300)}` });
  }
  const entries = await fsp.readdir(dir);
  if (entries.length === 1 && (await fsp.stat(path.join(dir, entries[0]!))).isDirectory()) {
    const inner = path.join(dir, entries[0]!);
    for (const entry of await fsp.readdir(inner)) await fsp.rename(path.join(inner, entry), path.join(dir, entry));
    await fsp.rmdir(inner);
  }
}

async function archiveSource(scalarium: Scalarium, body: Readable): Promise<{ source: BuildSource; cleanup(): Promise<void> }> {
  const tmp = dataPaths(scalarium).tmp;
  await fsp.mkdir(tmp, { recursive: true });
  const file = path.join(tmp, `archive-${crypto.randomBytes(6).toString('hex')}`);
  const sha256 = await saveLimited(body, file).catch(async (error) => {
    await fsp.rm(file, { force: true });
    throw error instanceof ScalariumError ? error : new ScalariumError('build_failed', { reason: `the archive could not be read: ${(error as Error).message}` });
  });
  return {
    source: { id: `archive:${sha256.slice(0, 12)}`, checkout: (dir) => unpack(file, dir) },
    cleanup: () => fsp.rm(file, { force: true }),
  };
}

async function download(url: string): Promise<Readable> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ScalariumError('invalid_body', { reason: 'archive must be an http(s) URL' });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new ScalariumError('invalid_body', { reason: 'archive must be an http(s) URL' });
  const res = await fetch(parsed, { redirect: 'follow', signal: AbortSignal.timeout(10 * 60_000) }).catch((error: Error) => {
    throw new ScalariumError('build_failed', { reason: `could not download ${parsed.href}: ${error.message}` });
  });
  if (!res.ok || !res.body) throw new ScalariumError('build_failed', { reason: `could not download ${parsed.href}: HTTP ${res.status}` });
  return Readable.fromWeb(res.body as import('node:stream/web').ReadableStream);
}

const REF = /^(?:[0-9a-f]{7,40}|main|master)$/;

export async function deployApp(scalarium: Scalarium, principal: Principal, name: string, request: DeployRequest, output: Output = silent): Promise<Release> {
  const app = await requireApp(scalarium, name);
  if (request.kind === 'release') return rollback(scalarium, principal, app.name, request.version, output);
  const repos = repoStore(scalarium);

  let source: BuildSource;
  let cleanup = async () => {};
  let moveBranchTo: string | undefined;
  if (request.kind === 'commit') {
    const ref = request.ref ?? 'main';
    if (!REF.test(ref)) throw new ScalariumError('invalid_body', { reason: 'commit must be a commit id (7-40 hex characters), main or master' });
    const commit = await repos.resolveCommit(app.name, ref);
    if (!commit) throw new ScalariumError('invalid_body', { reason: `the repository has no commit ${ref}; push first` });
    source = { id: commit, checkout: (dir) => extractCommit(repos.pathOf(app.name), commit, dir) };
    moveBranchTo = commit;
  } else {
    const archive = await archiveSource(scalarium, request.kind === 'archive' ? await download(request.url) : request.body);
    source = archive.source;
    cleanup = archive.cleanup;
  }

  try {
    const release = await withAppLock(scalarium, app.name, `deploy of ${source.id.slice(0, 20)}`, async () => {
      const build = await buildSource(scalarium, app, source, principal, output);
      return releaseAndDeploy(scalarium, app, {
        slug: build.slug, commit: moveBranchTo ?? null, buildId: build.buildId, config: build.spec.config, processTypes: build.spec.processTypes,
        description: build.spec.description, timings: {}, createdBy: principal.user.name,
      }, principal, output);
    });
    // The deploy branch always equals the live release's commit.
    if (moveBranchTo) await repos.moveBranch(app.name, 'main', moveBranchTo);
    await audit(scalarium, principal, 'app.deploy', app.name, { detail: { source: request.kind === 'archive' ? request.url.slice(0, 200) : source.id } });
    return release;
  } finally {
    await cleanup();
  }
}
