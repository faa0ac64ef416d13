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
import { removeTree } from '../sandbox/remove.ts';
import type { SlugCache } from './slug-cache.ts';

/** A slug holds what a build produced: generous, but a bomb stops here. */
export const SLUG_LIMITS = { maxBytes: 8 * 1024 ** 3, maxEntries: 1_000_000 };

const APP = /^[a-z](?:[a-z0-9-]{0,28}[a-z0-9])?$/;
const SHA = /^[0-9a-f]{64}$/;

export interface ReleaseDir { dir: string; tmp: string }

export class AppDirs {
  private readonly unpacking = new Map<string, Promise<ReleaseDir>>();
  /** Releases a start is using before its process is registered: prune must leave them alone. */
  private readonly held = new Map<string, number>();
  private pruning: Promise<void> = Promise.resolve();

  constructor(readonly root: string, private readonly slugs: SlugCache) {}

  appDir(app: string): string {
    if (!APP.test(app)) throw new Error(`invalid app name ${JSON.stringify(app.slice(0, 40))}`);
    return path.join(this.root, app);
  }

  /** Keeps the app's release from being pruned until the returned function is called. */
  hold(app: string, sha256: string): () => void {
    const key = `${app}/${sha256}`;
    this.held.set(key, (this.held.get(key) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.held.get(key) ?? 1) - 1;
      if (left > 0) this.held.set(key, left);
      else this.held.delete(key);
    };
  }

  /** The app's unpacked release, owned by `user`; unpacked now if it is not there yet. Hold it first. */
  release(app: string, slug: { sha256: string; url: string }, user: UnixUser | undefined): Promise<ReleaseDir> {
    if (!SHA.test(slug.sha256)) return Promise.reject(new Error('invalid slug id'));
    const key = `${app}/${slug.sha256}`;
    let pending = this.unpacking.get(key);
    if (!pending) {
      // Never while a prune runs: it could be deleting this very folder.
      pending = this.pruning.then(() => this.unpack(app, slug, user)).finally(() => this.unpacking.delete(key));
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
    const marker = path.join(appDir, `.${slug.sha256}.ok`);
    if (fs.existsSync(marker) && fs.existsSync(dir)) return { dir, tmp };
    await fsp.rm(marker, { force: true });
    const archive = await this.slugs.ensure(slug.sha256, slug.url);
    // Unpacked under a root-owned name first: nobody can touch it until it is complete.
    const part = path.join(appDir, `.${slug.sha256}.part`);
    await removeTree(part);
    await fsp.mkdir(part, { mode: 0o700 });
    await extractArchive(archive, part, { ...SLUG_LIMITS, ...(user ? { owner: user } : {}) });
    await removeTree(dir);
    await fsp.rename(part, dir);
    await ownedDir(dir, user, 0o700);
    await fsp.writeFile(marker, '', { mode: 0o600 });
    return { dir, tmp };
  }

  /**
   * Removes every release no process runs any more, and the folders of apps with none left.
   * `inUse` lists app → slugs still running here; held and unpacking releases count too. Prunes
   * run one at a time.
   */
  prune(inUse: Map<string, Set<string>>): Promise<void> {
    const run = this.pruning.then(() => this.pruneNow(inUse));
    this.pruning = run.catch(() => {});
    return run;
  }

  private async pruneNow(inUse: Map<string, Set<string>>): Promise<void> {
    const busy = new Map<string, Set<string>>();
    for (const [app, slugs] of inUse) busy.set(app, new Set(slugs));
    for (const key of [...this.unpacking.keys(), ...this.held.keys()]) {
      const [app, sha] = key.split('/') as [string, string];
      if (!busy.has(app)) busy.set(app, new Set());
      busy.get(app)!.add(sha);
    }
    const apps = await fsp.readdir(this.root).catch(() => [] as string[]);
    for (const app of apps.filter((a) => APP.test(a))) {
      const keep = busy.get(app);
      const appDir = path.join(this.root, app);
      if (!keep?.size) {
        // Markers first: a folder half removed must never pass for an unpacked release.
        for (const entry of await fsp.readdir(appDir).catch(() => [] as string[])) {
          if (entry.endsWith('.ok')) await fsp.rm(path.join(appDir, entry), { force: true });
        }
        await removeTree(appDir);
        continue;
      }
      for (const entry of await fsp.readdir(appDir)) {
        const sha = /^\.?([0-9a-f]{64})(?:\.ok|\.part)?$/.exec(entry)?.[1];
        if (!sha || keep.has(sha)) continue;
        await fsp.rm(path.join(appDir, `.${sha}.ok`), { force: true });
        await removeTree(path.join(appDir, entry));
      }
    }
    const running = new Set([...busy.values()].flatMap((s) => [...s]));
    await this.slugs.prune(running);
  }
}
