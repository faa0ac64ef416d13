// Where an instance's apps live: <apps dir>/<app>/<slug sha256>/ holds the release's files, owned
// by the app's uid and readable by no other app; <apps dir>/<app>/tmp is its TMPDIR. The apps dir and
// each app's folder belong to root and are only traversable (0711). Slugs are unpacked per app (never
// shared between apps) and pruned once no process of this instance runs them.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { extractArchive } from '../archive/extract.ts';
import type { UnixUser } from '../sandbox/confine.ts';
import { ownedDir, platformDir } from '../sandbox/dirs.ts';
import type { SlugCache } from './slug-cache.ts';

/** A slug holds what a build produced: generous, but a bomb stops here. */
export const SLUG_LIMITS = { maxBytes: 8 * 1024 ** 3, maxEntries: 1_000_000 };

const APP = /^[a-z](?:[a-z0-9-]{0,28}[a-z0-9])?$/;
const SHA = /^[0-9a-f]{64}$/;

export interface ReleaseDir { dir: string; tmp: string }

export class AppDirs {
  private readonly unpacking = new Map<string, Promise<ReleaseDir>>();

  constructor(readonly root: string, private readonly slugs: SlugCache) {}

  appDir(app: string): string {
    if (!APP.test(app)) throw new Error(`invalid app name ${JSON.stringify(app.slice(0, 40))}`);
    return path.join(this.root, app);
  }

  /** The app's unpacked release, owned by `user`; unpacked now if it is not there yet. */
  release(app: string, slug: { sha256: string; url: string }, user: UnixUser | undefined): Promise<ReleaseDir> {
    if (!SHA.test(slug.sha256)) return Promise.reject(new Error('invalid slug id'));
    const key = `${app}/${slug.sha256}`;
    let pending = this.unpacking.get(key);
    if (!pending) {
      pending = this.unpack(app, slug, user).finally(() => this.unpacking.delete(key));
      this.unpacking.set(key, pending);
    }
    return pending;
  }

  private async unpack(app: string, slug: { sha256: string; url: string }, user: UnixUser | undefined): Promise<ReleaseDir> {
    const appDir = this.appDir(app);
    await platformDir(this.root, 0o711);
    await platformDir(appDir, 0o711);
    const tmp = path.join(appDir, 'tmp');
    await ownedDir(tmp, user, 0o700);
    const dir = path.join(appDir, slug.sha256);
    if (fs.existsSync(path.join(appDir, `.${slug.sha256}.ok`))) return { dir, tmp };
    const archive = await this.slugs.ensure(slug.sha256, slug.url);
    // Unpacked under a root-owned name first: nobody can touch it until it is complete.
    const part = path.join(appDir, `.${slug.sha256}.part`);
    await fsp.rm(part, { recursive: true, force: true });
    await fsp.mkdir(part, { mode: 0o700 });
    await extractArchive(archive, part, { ...SLUG_LIMITS, ...(user ? { owner: user } : {}) });
    await fsp.rm(dir, { recursive: true, force: true });
    await fsp.rename(part, dir);
    await ownedDir(dir, user, 0o700);
    await fsp.writeFile(path.join(appDir, `.${slug.sha256}.ok`), '', { mode: 0o600 });
    return { dir, tmp };
  }

  /**
   * Removes every release no process runs any more, and the folders of apps with none left.
   * `inUse` lists app → slugs still running here; releases being unpacked right now count too.
   */
  async prune(inUse: Map<string, Set<string>>): Promise<void> {
    const busy = new Map<string, Set<string>>();
    for (const [app, slugs] of inUse) busy.set(app, new Set(slugs));
    for (const key of this.unpacking.keys()) {
      const [app, sha] = key.split('/') as [string, string];
      if (!busy.has(app)) busy.set(app, new Set());
      busy.get(app)!.add(sha);
    }
    const apps = await fsp.readdir(this.root).catch(() => [] as string[]);
    for (const app of apps.filter((a) => APP.test(a))) {
      const keep = busy.get(app);
      const appDir = path.join(this.root, app);
      if (!keep?.size) {
        await fsp.rm(appDir, { recursive: true, force: true });
        continue;
      }
      for (const entry of await fsp.readdir(appDir)) {
        const sha = /^\.?([0-9a-f]{64})(?:\.ok|\.part)?$/.exec(entry)?.[1];
        if (sha && !keep.has(sha)) await fsp.rm(path.join(appDir, entry), { recursive: true, force: true });
      }
    }
    const running = new Set([...busy.values()].flatMap((s) => [...s]));
    await this.slugs.prune(running);
  }
}
