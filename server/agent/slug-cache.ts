// Slugs on an instance: each downloaded once by sha256 into slugs/<sha256>.tgz (readable by the agent
// only), verified, and removed once no process here runs it. AppDirs unpacks them per app.
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import http from 'node:http';
import https from 'node:https';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';

/** Slugs are made by the server; this only stops a runaway download filling the disk. */
const MAX_SLUG_BYTES = 4 * 1024 ** 3;
/** A download that sends nothing for this long has stalled. */
const IDLE_TIMEOUT_MS = 60_000;

/**
 * GET with node:http(s), not fetch: fetch refuses the ports browsers block (5060, 6000, …), and the
 * server may well listen on one of them (SCALARIUM_PORT).
 */
function get(url: string, headers: Record<string, string>): Promise<http.IncomingMessage> {
  const client = new URL(url).protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.get(url, { headers }, resolve);
    req.setTimeout(IDLE_TIMEOUT_MS, () => req.destroy(new Error(`no answer from ${new URL(url).origin} for ${IDLE_TIMEOUT_MS / 1000} s`)));
    req.once('error', reject);
  });
}

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
    const res = await get(url, this.authHeader());
    if (res.statusCode !== 200) {
      res.resume();
      throw new Error(`slug download failed: HTTP ${res.statusCode}`);
    }
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
      await pipeline(res, count, fs.createWriteStream(part, { mode: 0o600 }));
      if (hash.digest('hex') !== sha256) throw new Error('slug download corrupted: checksum mismatch');
      await fsp.rename(part, target);
      return target;
    } finally {
      await fsp.rm(part, { force: true });
    }
  }
}
