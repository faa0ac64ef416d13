// One-click deployment: deploy the latest or a chosen commit of the app's repository, a chosen
// release, or source that does not come from git at all — an HTTP(S) archive URL or an uploaded
// tarball ("out of source control systems or via http downloads").
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform } from 'node:stream';
import type { Scalarium } from './scalarium.ts';
import type { Principal } from '../db/identity.ts';
import type { Release } from '../db/releases.ts';
import type { AppRow } from '../db/apps.ts';
import type { Output } from './types.ts';
import { ScalariumError } from './errors.ts';
import type { BuildSource } from './pipeline.ts';
import { runChange } from '../deploy/orchestrator.ts';
import { requireApp, rollback } from './app-service.ts';
import { extractCommit } from '../build/source.ts';
import type { BuildWorkspace } from '../build/workspace.ts';
import { extractArchive } from '../archive/extract.ts';
import { downloadTo } from '../net/outbound.ts';
import { outboundPolicy } from './outbound-policy.ts';
import { dataPaths, repoStore } from './paths.ts';
import { audit } from './audit.ts';

export const MAX_ARCHIVE_BYTES = 512 * 1024 * 1024;
/** What an archive may unpack to: a gzip bomb stops here, before it fills the disk. */
export const UNPACK_LIMITS = { maxBytes: 2 * 1024 ** 3, maxEntries: 200_000 };

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

async function archiveSource(scalarium: Scalarium, fill: (file: string) => Promise<string>): Promise<{ source: BuildSource; cleanup(): Promise<void> }> {
  const tmp = dataPaths(scalarium).tmp;
  await fsp.mkdir(tmp, { recursive: true, mode: 0o700 });
  const file = path.join(tmp, `archive-${crypto.randomBytes(6).toString('hex')}`);
  const sha256 = await fill(file).catch(async (error) => {
    await fsp.rm(file, { force: true });
    throw error instanceof ScalariumError ? error : new ScalariumError('build_failed', { reason: `the archive could not be read: ${(error as Error).message}` });
  });
  return {
    source: { id: `archive:${sha256.slice(0, 12)}`, checkout: (ws) => unpack(file, ws) },
    cleanup: () => fsp.rm(file, { force: true }),
  };
}

/** Unpacks a .tar or .tar.gz into the build dir, owned by the build; a single top-level folder (as forges make them) becomes the root. */
async function unpack(archive: string, ws: BuildWorkspace): Promise<void> {
  try {
    await extractArchive(archive, ws.buildDir, { ...UNPACK_LIMITS, stripSingleTopFolder: true, ...(ws.user ? { owner: ws.user } : {}) });
  } catch (error) {
    throw new ScalariumError('build_failed', { reason: `the archive could not be unpacked: ${(error as Error).message.slice(0, 300)}` });
  }
}

/** Downloads through the outbound guard: no loopback, private or metadata addresses, size and time capped. */
async function download(scalarium: Scalarium, url: string, file: string): Promise<string> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ScalariumError('invalid_body', { reason: 'archive must be an http(s) URL' });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new ScalariumError('invalid_body', { reason: 'archive must be an http(s) URL' });
  try {
    const { sha256 } = await downloadTo(parsed.href, file, outboundPolicy(scalarium), { maxBytes: MAX_ARCHIVE_BYTES, timeoutMs: 10 * 60_000 });
    return sha256;
  } catch (error) {
    throw new ScalariumError('build_failed', { reason: (error as Error).message });
  }
}

const REF = /^(?:[0-9a-f]{7,40}|main|master)$/;

/** The receive hook's veto applies to new code from the API and UI as it does to a push. */
async function refuseIfVetoed(scalarium: Scalarium, app: AppRow, principal: Principal, commit: string | null): Promise<void> {
  const current = await repoStore(scalarium).resolveCommit(app.name, 'main');
  const veto = await scalarium.hooks.receive.promise({ app, principal, via: 'api', ref: 'refs/heads/main', oldSha: current ?? '0'.repeat(40), newSha: commit });
  if (!veto) return;
  await audit(scalarium, principal, 'app.deploy', app.name, { outcome: 'denied', detail: { reason: veto } });
  throw new ScalariumError('deploy_refused', { reason: veto });
}

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
    await refuseIfVetoed(scalarium, app, principal, commit);
    source = { id: commit, checkout: (ws) => extractCommit(repos.pathOf(app.name), commit, ws.buildDir, {}, (argv) => ws.confine(argv)) };
    moveBranchTo = commit;
  } else {
    await refuseIfVetoed(scalarium, app, principal, null);
    const { url } = request.kind === 'archive' ? request : { url: '' };
    const archive = await archiveSource(scalarium, request.kind === 'archive' ? (file) => download(scalarium, url, file) : (file) => saveLimited(request.body, file));
    source = archive.source;
    cleanup = archive.cleanup;
  }

  try {
    const release = await runChange(scalarium, {
      app, principal, output, purpose: `deploy of ${source.id.slice(0, 20)}`, source,
      // The deploy branch always equals the live release's commit.
      refs: moveBranchTo ? [{ ref: 'refs/heads/main', sha: moveBranchTo }] : [],
      draft: (build) => ({
        slug: build!.slug, commit: moveBranchTo ?? null, buildId: build!.buildId, config: build!.spec.config, processTypes: build!.spec.processTypes,
        description: build!.spec.description, timings: {}, createdBy: principal.user.name,
      }),
    });
    await audit(scalarium, principal, 'app.deploy', app.name, { detail: { source: request.kind === 'archive' ? request.url.slice(0, 200) : source.id } });
    return release;
  } finally {
    await cleanup();
  }
}
