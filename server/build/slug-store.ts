// Slugs: gzipped tarballs of a build directory, stored once under their sha256.
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { pipeline } from 'node:stream/promises';

const execFileAsync = promisify(execFile);

/** What a build may leave to be packed (apparent sizes: a sparse file counts whole). */
export const MAX_SLUG_SOURCE_BYTES = 4 * 1024 ** 3;
const PACK_TIMEOUT_MS = 15 * 60_000;

/** Sum of file sizes under dir, without following links; stops counting past `limit`. */
async function treeBytes(dir: string, limit: number): Promise<number> {
  let total = 0;
  const walk = async (p: string): Promise<void> => {
    for (const entry of await fsp.readdir(p, { withFileTypes: true })) {
      if (total > limit) return;
      const full = path.join(p, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) total += (await fsp.lstat(full)).size;
    }
  };
  await walk(dir);
  return total;
}

export class SlugStore {
  constructor(readonly dir: string) {}

  pathOf(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error('invalid slug id');
    return path.join(this.dir, `${sha256}.tgz`);
  }

  has(sha256: string): boolean {
    return fs.existsSync(this.pathOf(sha256));
  }

  /** Packs the directory and returns the slug's sha256 and size. */
  async pack(buildDir: string): Promise<{ sha256: string; bytes: number }> {
    await fsp.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const temp = path.join(this.dir, `.pack-${crypto.randomBytes(6).toString('hex')}.tgz`);
    try {
      if ((await treeBytes(buildDir, MAX_SLUG_SOURCE_BYTES)) > MAX_SLUG_SOURCE_BYTES) {
        throw new Error(`the build left more than ${MAX_SLUG_SOURCE_BYTES / 1024 ** 3} GiB in the app's directory; keep build caches and large assets out of the slug`);
      }
      // Owners are not the slug's business (each instance gives the files to the app's uid), and
      // setuid/setgid bits a build set would let a process become the build's uid on an instance.
      await execFileAsync('tar', ['-czf', temp, '--owner=0', '--group=0', '--numeric-owner', '--mode=u+rw,go-w,ugo-st', '-C', buildDir, '.'], { timeout: PACK_TIMEOUT_MS });
      const hash = crypto.createHash('sha256');
      await pipeline(fs.createReadStream(temp), hash);
      const sha256 = hash.digest('hex');
      const { size } = await fsp.stat(temp);
      await fsp.rename(temp, this.pathOf(sha256));
      return { sha256, bytes: size };
    } finally {
      await fsp.rm(temp, { force: true });
    }
  }

  async remove(sha256: string): Promise<void> {
    await fsp.rm(this.pathOf(sha256), { force: true });
  }

  async list(): Promise<string[]> {
    if (!fs.existsSync(this.dir)) return [];
    return (await fsp.readdir(this.dir)).filter((f) => /^[0-9a-f]{64}\.tgz$/.test(f)).map((f) => f.slice(0, 64));
  }
}
