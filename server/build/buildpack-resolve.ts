// Resolves one of the app's own buildpacks (a BUILDPACK_URL or .buildpacks line) into a directory
// builds can read: a built-in name; a directory on the server below one the operator allowed; an
// http(s) git URL (…/repo.git#ref, fetched with git on every build: a branch moves); or an http(s)
// tarball, downloaded once through the outbound guard and unpacked safely. Downloaded and copied
// buildpacks are published in the app's buildpack folder, root's and read-only to builds.
// Everything here runs before any code of the build does (checkout is tar's, on data).
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { BuildWorkspace } from './workspace.ts';
import { makeReadOnlyForOthers, publishBuildpack } from './workspace.ts';
import { BUILTIN_ORDER, builtin, isFile, safeSegment, type Buildpack, type BuildpackSources } from './buildpack-runner.ts';
import { fetchGitBuildpack, parseGitBuildpackUrl } from './buildpack-git.ts';
import { downloadTo } from '../net/outbound.ts';
import { extractArchive } from '../archive/extract.ts';
import { removeTree } from '../sandbox/remove.ts';
import { notATarballReason } from './buildpack-tarball.ts';

/** A buildpack tarball is code and scripts, not an app: small limits. */
const BUILDPACK_LIMITS = { maxBytes: 256 * 1024 * 1024, maxEntries: 20_000 };
const BUILDPACK_DOWNLOAD = { maxBytes: 128 * 1024 * 1024, timeoutMs: 120_000 };

const hash = (text: string) => crypto.createHash('sha256').update(text).digest('hex').slice(0, 16);

export async function resolveBuildpack(spec: string, ws: BuildWorkspace, sources: BuildpackSources): Promise<Buildpack> {
  const value = spec.trim();
  if (BUILTIN_ORDER.includes(value)) return builtin(sources, value);
  if (value.startsWith('/')) return localBuildpack(value, ws, sources);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`buildpack "${value.slice(0, 100)}" is neither a built-in name, an absolute path nor a URL (built-ins: ${BUILTIN_ORDER.join(', ')})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`buildpack URL must be http(s), not ${url.protocol.slice(0, 20)}`);
  const git = parseGitBuildpackUrl(url);
  if (git) return gitBuildpack(value, git, ws, sources);
  return tarballBuildpack(value, url, ws, sources);
}

async function gitBuildpack(value: string, git: NonNullable<ReturnType<typeof parseGitBuildpackUrl>>, ws: BuildWorkspace, sources: BuildpackSources): Promise<Buildpack> {
  const name = safeSegment(git.repository.pathname.split('/').filter(Boolean).pop()?.replace(/\.git$/, '') ?? git.repository.host);
  const clone = await fetchGitBuildpack(git, ws, sources.outbound);
  try {
    if (!isFile(path.join(clone, 'bin', 'compile'))) throw new Error(`buildpack ${value.slice(0, 200)} has no bin/compile at the top of the repository`);
    const dir = path.join(ws.buildpacksDir, `git-${hash(git.repository.href + (git.ref ? `#${git.ref}` : ''))}`);
    await publishBuildpack(clone, dir, (copy) => fsp.rm(path.join(copy, '.git'), { recursive: true, force: true }));
    // One cache for every ref of the repository: a new version of a buildpack keeps what it cached.
    return { name, source: value, dir, cacheKey: `git-${hash(git.repository.href)}` };
  } finally {
    await removeTree(clone);
  }
}

async function tarballBuildpack(value: string, url: URL, ws: BuildWorkspace, sources: BuildpackSources): Promise<Buildpack> {
  const name = safeSegment(url.pathname.split('/').filter(Boolean).pop()?.replace(/\.(tgz|tar\.gz|tar)$/, '') ?? url.host);
  const id = `url-${hash(url.href)}`;
  const dir = path.join(ws.buildpacksDir, id);
  const pack = { name, source: value, dir, cacheKey: id };
  if (fs.existsSync(path.join(dir, 'bin', 'compile'))) return pack;
  const archive = path.join(ws.buildpacksDir, `.download-${crypto.randomBytes(6).toString('hex')}`);
  const part = `${dir}.part-${crypto.randomBytes(4).toString('hex')}`;
  const shown = url.href.slice(0, 200);
  try {
    await downloadTo(url.href, archive, sources.outbound, BUILDPACK_DOWNLOAD).catch((error: Error) => {
      throw new Error(`could not download buildpack: ${error.message}`);
    });
    await fsp.mkdir(part, { mode: 0o700 });
    await extractArchive(archive, part, { ...BUILDPACK_LIMITS, stripSingleTopFolder: true }).catch(async (error: Error) => {
      throw new Error(`buildpack ${shown}: ${await notATarballReason(archive, error)}`);
    });
    if (!isFile(path.join(part, 'bin', 'compile'))) throw new Error(`buildpack ${shown} has no bin/compile (at its top, or in its single top folder)`);
    await makeReadOnlyForOthers(part);
    await fsp.rm(dir, { recursive: true, force: true });
    await fsp.rename(part, dir);
  } finally {
    await fsp.rm(archive, { force: true });
    await fsp.rm(part, { recursive: true, force: true });
  }
  return pack;
}

/** A buildpack directory on the server: operators allow the folders; it is copied for the build. */
async function localBuildpack(value: string, ws: BuildWorkspace, sources: BuildpackSources): Promise<Buildpack> {
  const dir = path.resolve(value);
  const allowed = sources.localRoots.some((root) => dir === root || dir.startsWith(`${root}${path.sep}`));
  if (!allowed) {
    throw new Error(`buildpack ${value.slice(0, 100)}: buildpacks from the server's own directories are for operators; they allow folders with SCALARIUM_BUILDPACK_DIRS (or use a built-in name or an https URL)`);
  }
  // Real paths only: a link inside an allowed folder must not lead out of it.
  const real = await fsp.realpath(dir).catch(() => undefined);
  if (!real || !sources.localRoots.some((root) => real === root || real.startsWith(`${root}${path.sep}`)) || !isFile(path.join(real, 'bin', 'compile'))) {
    throw new Error(`buildpack ${value.slice(0, 100)} has no bin/compile`);
  }
  const id = `path-${hash(real)}`;
  const copy = path.join(ws.buildpacksDir, id);
  await publishBuildpack(real, copy);
  return { name: safeSegment(path.basename(real)), source: value, dir: copy, cacheKey: id };
}
