// Slugs: gzipped tarballs of a build directory, stored once under their sha256.
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { pipeline } from 'node:stream/promises';

const execFileAsync = promisify(execFile);

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
      // Owners are not the slug's business (each instance gives the files to the app's uid), and
      // setuid/setgid bits a build set would let a process become the build's uid on an instance.
      await execFileAsync('tar', ['-czf', temp, '--owner=0', '--group=0', '--numeric-owner', '--mode=u+rw,go-w,ugo-st', '-C', buildDir, '.']);
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
