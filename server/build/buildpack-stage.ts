// Each build runs its buildpacks from a copy of its own, made of hard links to the published files
// (root's, read-only): the copy's top folder belongs to the build's uid, so a buildpack can write
// files of its own there — the `export` file of the multi-buildpack contract, which later
// buildpacks source — while the published copy, shared by every build of the app, stays as it was.
// The copy is made in root's folders and handed over only when complete: the build, which may
// still have processes running, can never swap a folder we write into for a link elsewhere.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { ownedDir } from '../sandbox/dirs.ts';
import type { BuildWorkspace } from './workspace.ts';
import type { Buildpack } from './buildpack-runner.ts';

/** The build's own copy of the `index`th buildpack (0-based), in ws.stagedBuildpacksDir. */
export async function stageBuildpack(pack: Buildpack, index: number, ws: BuildWorkspace): Promise<Buildpack> {
  const dir = path.join(ws.stagedBuildpacksDir, `${index + 1}-${pack.cacheKey}`);
  await linkTree(pack.dir, dir);
  await ownedDir(dir, ws.user, 0o755);
  return { ...pack, dir };
}

/** The file a buildpack left for the next ones (its directory's `export`), if it is a regular file. */
export function exportFileOf(staged: Buildpack): string | undefined {
  const file = path.join(staged.dir, 'export');
  return fs.lstatSync(file, { throwIfNoEntry: false })?.isFile() ? file : undefined;
}

async function linkTree(source: string, target: string): Promise<void> {
  await fsp.mkdir(target, { mode: 0o755 });
  await fsp.chmod(target, 0o755);
  for (const entry of await fsp.readdir(source, { withFileTypes: true })) {
    const from = path.join(source, entry.name);
    const to = path.join(target, entry.name);
    if (entry.isDirectory()) await linkTree(from, to);
    else if (entry.isSymbolicLink()) await fsp.symlink(await fsp.readlink(from), to);
    else if (entry.isFile()) {
      await fsp.link(from, to).catch(async (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EXDEV') throw error;
        await fsp.copyFile(from, to); // published on another file system: a copy, root's like the original
        await fsp.chmod(to, (await fsp.stat(from)).mode & 0o755);
      });
    }
  }
}
