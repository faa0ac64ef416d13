// Directories that untrusted code works in. The platform's own parents are root-owned and only
// traversable (0711), so an app can walk to its own folder by name but list and open nothing else;
// the leaf belongs to the app's uid (0700). Nothing here follows a symlink: a leaf that is a link
// (planted by whoever owned it before) is refused.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { UnixUser } from './confine.ts';

const isRoot = process.getuid?.() === 0;

/**
 * mkdir -p with `mode` on every directory it creates (chmod'ed: the umask must not close them);
 * the last one is checked, not trusted, and made root's and `mode` even if it existed.
 */
export async function platformDir(dir: string, mode = 0o711): Promise<void> {
  const missing: string[] = [];
  for (let p = path.resolve(dir); !fs.existsSync(p); p = path.dirname(p)) missing.unshift(p);
  for (const p of missing) {
    await fsp.mkdir(p, { mode }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
    await fsp.chmod(p, mode);
  }
  const stat = await fsp.lstat(dir);
  if (!stat.isDirectory()) throw new Error(`${dir} must be a directory, not a link or file`);
  await fsp.chmod(dir, mode);
  if (isRoot && stat.uid !== 0) await fsp.lchown(dir, 0, 0);
}

/**
 * A directory owned by `owner` (when we are root), mode 0700 unless told otherwise. Its parent must
 * exist. Owner and mode are set on the opened directory, not by path: whoever owns the parent must
 * not be able to swap in a link and have us chown or chmod something else.
 */
export async function ownedDir(dir: string, owner: UnixUser | undefined, mode = 0o700): Promise<void> {
  await fsp.mkdir(dir, { mode }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') {
      throw new Error(`${dir} must be a directory, not a link or file`);
    }
    throw error;
  }
  try {
    const stat = await handle.stat();
    if (isRoot && owner && (stat.uid !== owner.uid || stat.gid !== owner.gid)) await handle.chown(owner.uid, owner.gid);
    await handle.chmod(mode);
  } finally {
    await handle.close();
  }
}

/** Writes a new file only the owner can read (config values for a build's env dir); never through a link. */
export async function ownedFile(file: string, content: string, owner: UnixUser | undefined, mode = 0o400): Promise<void> {
  const handle = await fsp.open(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
  try {
    await handle.writeFile(content);
    if (isRoot && owner) await handle.chown(owner.uid, owner.gid);
    await handle.chmod(mode);
  } finally {
    await handle.close();
  }
}

/**
 * The first folder on the way to `dir` that other users cannot walk through (no o+x), or undefined
 * when an app's uid can reach it: what uid mode without bubblewrap needs.
 */
export function firstUnreachableAncestor(dir: string): string | undefined {
  for (let p = path.resolve(dir); ; p = path.dirname(p)) {
    try {
      const stat = fs.statSync(p);
      if (!(stat.mode & 0o001)) return p;
    } catch {
      // not made yet: its parent decides
    }
    if (p === '/') return undefined;
  }
}

/**
 * Node and npm look for the nearest package.json upwards from an app's files: an apps dir inside
 * a Node project (the server's own clone, say) would lend the app that project's "type": "module".
 * A neutral package.json at the top of the apps dir ends the search there.
 */
export async function packageBoundary(appsDir: string): Promise<void> {
  const file = path.join(appsDir, 'package.json');
  const body = `${JSON.stringify({ name: 'scalarium-apps', private: true, description: 'Ends Node\'s package.json lookup above the apps (see server/sandbox/dirs.ts).' }, null, 2)}\n`;
  await fsp.writeFile(file, body, { mode: 0o644 });
  await fsp.chmod(file, 0o644);
}
