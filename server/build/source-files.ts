// The server reads a few files of the pushed source itself (.buildpacks, Procfile, app.json). The
// source is untrusted and, after compile, was written by the build: such a file may be a symlink to
// a server file, a FIFO that blocks forever, or a hard link. Read only regular files named directly
// in the build directory, without following links, and only small ones.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';

const MAX_BYTES = 256 * 1024;

export class SourceFileError extends Error {}

/**
 * The file's text, or undefined when there is none. `owner`: when given, the file must belong to that
 * uid (a build can only make links to files it could read anyway, but a root-owned file is not its own).
 */
export async function readSourceFile(buildDir: string, name: string, owner?: number): Promise<string | undefined> {
  if (name.includes('/') || name === '..' || name === '.') throw new Error(`not a file name: ${name}`);
  let handle: fsp.FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO must not hang the server.
    handle = await fsp.open(path.join(buildDir, name), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw new SourceFileError(`${name} is a symbolic link; it must be a regular file in the app's root directory`);
    throw new SourceFileError(`${name} cannot be read (${code})`);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new SourceFileError(`${name} must be a regular file`);
    if (stat.nlink !== 1 || (owner !== undefined && stat.uid !== owner)) throw new SourceFileError(`${name} must be a file of the app itself (not a link to another file)`);
    if (stat.size > MAX_BYTES) throw new SourceFileError(`${name} is larger than ${MAX_BYTES / 1024} KiB`);
    const buffer = Buffer.alloc(stat.size);
    const { bytesRead } = await handle.read(buffer, 0, stat.size, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}
