// Slugs on an instance: each downloaded once by sha256 into slugs/<sha256>.tgz (readable by the agent
// only), verified, and removed once no process here runs it. AppDirs unpacks them per app.
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform } from 'node:stream';

/** Slugs are made by the server; this only stops a runaway download filling the disk. */
const MAX_SLUG_BYTES = 4 * 1024 ** 3;

export class SlugCache {
  private readonly inflight = new Map<string, Promise<string>>();

  /** `authHeader` is asked at each download: the instance token may have been rotated. */
  constructor(private readonly dir: string, private readonly authHeader: () => Record<string, string>) {}

  /** Returns the path of the verified slug archive, downloading it first if needed. */
  ensure(sha256: string, url: string): Promise<string> {
    if (!/^[0-9a-f]{64}$/.test(sha256)) return Promise.reject(new Error('invalid slug id'));
    let pending = this.inflight.get(sha256);
    if (!pending) {
      pending = this.fetch(sha256, url).finally(() => this.inflight.delete(sha256));
      this.inflight.set(sha256, pending);
    }
    return pending;
  }

  /** Deletes every archive but those in `keep` (and those being downloaded). */
  async prune(keep: Set<string>): Promise<void> {
    for (const file of await fsp.readdir(this.dir).catch(() => [] as string[])) {
      const sha = /^([0-9a-f]{64})\.tgz(?:\.part)?$/.exec(file)?.[1];
      if (sha && !keep.has(sha) && !this.inflight.has(sha)) await fsp.rm(path.join(this.dir, file), { force: true });
    }
  }

  private async fetch(sha256: string, url: string): Promise<string> {
    const target = path.join(this.dir, `${sha256}.tgz`);
    if (fs.existsSync(target)) return target;
    await fsp.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const part = `${target}.part`;
    const res = await fetch(url, { headers: this.authHeader() });
    if (!res.ok || !res.body) throw new Error(`slug download failed: HTTP ${res.status}`);
    const hash = crypto.createHash('sha256');
    let bytes = 0;
    const count = new Transform({
      transform(chunk: Buffer, _enc, done) {
        bytes += chunk.length;
        if (bytes > MAX_SLUG_BYTES) return done(new Error('slug download is larger than 4 GiB'));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), count, fs.createWriteStream(part, { mode: 0o600 }));
      if (hash.digest('hex') !== sha256) throw new Error('slug download corrupted: checksum mismatch');
      await fsp.rename(part, target);
      return target;
    } finally {
      await fsp.rm(part, { force: true });
    }
  }
}
