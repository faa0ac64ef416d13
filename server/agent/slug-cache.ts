// Slugs on an instance: downloaded once by sha256, verified, unpacked into slugs/<sha256>/.
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export class SlugCache {
  private readonly inflight = new Map<string, Promise<string>>();

  /** `authHeader` is asked at each download: the instance token may have been rotated. */
  constructor(private readonly dir: string, private readonly authHeader: () => Record<string, string>) {}

  /** Returns the unpacked slug directory, downloading it first if needed. */
  ensure(sha256: string, url: string): Promise<string> {
    if (!/^[0-9a-f]{64}$/.test(sha256)) return Promise.reject(new Error('invalid slug id'));
    let pending = this.inflight.get(sha256);
    if (!pending) {
      pending = this.fetch(sha256, url).finally(() => this.inflight.delete(sha256));
      this.inflight.set(sha256, pending);
    }
    return pending;
  }

  private async fetch(sha256: string, url: string): Promise<string> {
    const target = path.join(this.dir, sha256);
    if (fs.existsSync(path.join(target, '.scalarium-slug-ok'))) return target;
    await fsp.mkdir(this.dir, { recursive: true });
    const archive = path.join(this.dir, `${sha256}.tgz.part`);
    const res = await fetch(url, { headers: this.authHeader() });
    if (!res.ok || !res.body) throw new Error(`slug download failed: HTTP ${res.status}`);
    const hash = crypto.createHash('sha256');
    const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream);
    body.on('data', (chunk: Buffer) => hash.update(chunk));
    await pipeline(body, fs.createWriteStream(archive));
    if (hash.digest('hex') !== sha256) {
      await fsp.rm(archive, { force: true });
      throw new Error('slug download corrupted: checksum mismatch');
    }
    const unpacking = `${target}.part`;
    await fsp.rm(unpacking, { recursive: true, force: true });
    await fsp.mkdir(unpacking, { recursive: true });
    await execFileAsync('tar', ['-xzf', archive, '-C', unpacking]);
    await fsp.writeFile(path.join(unpacking, '.scalarium-slug-ok'), '');
    await fsp.rm(target, { recursive: true, force: true });
    await fsp.rename(unpacking, target);
    await fsp.rm(archive, { force: true });
    return target;
  }
}
