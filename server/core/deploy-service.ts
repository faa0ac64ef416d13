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
import type { Output } from './types.ts';
import { ScalariumError } from './errors.ts';
import type { BuildSource } from './pipeline.ts';
import { runChange } from '../deploy/orchestrator.ts';
import { requireApp, rollback, rollbackTarget } from './app-service.ts';
import { extractCommit } from '../build/source.ts';
import type { BuildWorkspace } from '../build/workspace.ts';
import { extractArchive } from '../archive/extract.ts';
import { downloadTo, vetOutboundUrl } from '../net/outbound.ts';
import { outboundPolicy } from './outbound-policy.ts';
import { dataPaths, repoStore } from './paths.ts';
import { audit } from './audit.ts';
import { deployBranchOf, deployRefOf, isValidBranchName } from './deploy-branch.ts';

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

/** An archive URL the server may fetch; refused up front (before anything starts) when the policy says no. */
async function checkArchiveUrl(scalarium: Scalarium, url: string): Promise<string> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ScalariumError('invalid_body', { reason: 'archive must be an http(s) URL' });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new ScalariumError('invalid_body', { reason: 'archive must be an http(s) URL' });
  await vetOutboundUrl(parsed.href, outboundPolicy(scalarium)).catch((error: Error) => {
    throw new ScalariumError('build_failed', { reason: error.message });
  });
  return parsed.href;
}

/** Downloads through the outbound guard: no loopback, private or metadata addresses, size and time capped. */
async function download(scalarium: Scalarium, url: string, file: string): Promise<string> {
  try {
    const { sha256 } = await downloadTo(url, file, outboundPolicy(scalarium), { maxBytes: MAX_ARCHIVE_BYTES, timeoutMs: 10 * 60_000 });
    return sha256;
  } catch (error) {
    throw new ScalariumError('build_failed', { reason: (error as Error).message });
  }
}

const COMMIT_ID = /^[0-9a-f]{7,40}$/;

/** A deploy that was checked and may start: what it deploys, and the work (veto, build, rollout). */
export interface PlannedDeploy {
  app: string;
  /** "1a2b3c4", "v3 again", an archive URL, "an upload". */
  what: string;
  run(output: Output): Promise<Release>;
}

/**
 * Checks a deploy request without starting anything: an unknown app, commit or release, a bad
 * or refused archive URL throws here, so that callers can answer at once (an HTTP status, the
 * form again) before they stream the deploy's progress.
 */
export async function planDeploy(scalarium: Scalarium, principal: Principal, name: string, request: DeployRequest): Promise<PlannedDeploy> {
  const app = await requireApp(scalarium, name);
  if (request.kind === 'release') {
    const target = await rollbackTarget(scalarium, app, request.version);
    return { app: app.name, what: `v${target.version} again`, run: (output) => rollback(scalarium, principal, app.name, target.version, output) };
  }
  const repos = repoStore(scalarium);

  let source: BuildSource | (() => Promise<BuildSource>);
  let cleanup = async () => {};
  let moveBranchTo: string | undefined;
  let archiveId: string | undefined;
  let what: string;
  if (request.kind === 'commit') {
    const ref = request.ref ?? deployBranchOf(app);
    if (!COMMIT_ID.test(ref) && !isValidBranchName(ref)) throw new ScalariumError('invalid_body', { reason: 'commit must be a commit id (7-40 hex characters) or a branch name' });
    const commit = await repos.resolveCommit(app.name, ref);
    if (!commit) throw new ScalariumError('invalid_body', { reason: `the repository has no commit ${ref}; push first` });
    source = { id: commit, checkout: (ws) => extractCommit(repos.pathOf(app.name), commit, ws.buildDir, {}, (argv) => ws.confine(argv)) };
    moveBranchTo = commit;
    what = commit.slice(0, 7);
  } else {
    const url = request.kind === 'archive' ? await checkArchiveUrl(scalarium, request.url) : '';
    what = request.kind === 'archive' ? url : 'an upload';
    // Fetched by the orchestrator once the change is allowed, so a refused deploy downloads nothing.
    source = async () => {
      const archive = await archiveSource(scalarium, request.kind === 'archive' ? (file) => download(scalarium, url, file) : (file) => saveLimited(request.body, file));
      cleanup = archive.cleanup;
      archiveId = archive.source.id;
      return archive.source;
    };
  }
  const current = await repos.branchCommit(app.name, deployBranchOf(app));
  const incoming = { via: 'api' as const, ref: deployRefOf(app), oldSha: current ?? '0'.repeat(40), newSha: moveBranchTo ?? null };

  const run = async (output: Output): Promise<Release> => {
    try {
      const release = await runChange(scalarium, {
        app, principal, output, purpose: moveBranchTo ? `deploy of ${what}` : `deploy of ${request.kind === 'archive' ? 'an archive' : 'an upload'}`, source, incoming,
        // The deploy branch always equals the live release's commit.
        refs: moveBranchTo ? [{ ref: deployRefOf(app), sha: moveBranchTo }] : [],
        draft: (build) => ({
          slug: build!.slug, commit: moveBranchTo ?? null, buildId: build!.buildId, config: build!.spec.config, processTypes: build!.spec.processTypes,
          description: build!.spec.description, timings: {}, createdBy: principal.user.name,
        }),
      });
      await audit(scalarium, principal, 'app.deploy', app.name, { detail: { source: request.kind === 'archive' ? request.url.slice(0, 200) : moveBranchTo ?? archiveId } });
      return release;
    } catch (error) {
      if (error instanceof ScalariumError && error.code === 'deploy_refused') {
        await audit(scalarium, principal, 'app.deploy', app.name, { outcome: 'denied', detail: { reason: error.params.reason } });
      }
      throw error;
    } finally {
      await cleanup();
    }
  };
  return { app: app.name, what, run };
}

/** Checks and runs a deploy, waiting for it to end. */
export async function deployApp(scalarium: Scalarium, principal: Principal, name: string, request: DeployRequest, output: Output = silent): Promise<Release> {
  return (await planDeploy(scalarium, principal, name, request)).run(output);
}
