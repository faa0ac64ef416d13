// The repo store: one bare repository per app at <data>/repos/<app>.git, with a pre-receive hook
// that hands every push to the server while its objects are still quarantined.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { assertName } from '../core/names.ts';
import { recentCommits, resolveCommit, type CommitSummary } from './history.ts';

const execFileAsync = promisify(execFile);
const HOOK_SCRIPT = fileURLToPath(new URL('./pre-receive-hook.js', import.meta.url));

export class RepoStore {
  constructor(readonly root: string) {}

  pathOf(app: string): string {
    // The name check is the guard that keeps every path inside the repo root.
    return path.join(this.root, `${assertName('app', app)}.git`);
  }

  exists(app: string): boolean {
    return fs.existsSync(path.join(this.pathOf(app), 'HEAD'));
  }

  async create(app: string): Promise<void> {
    const dir = this.pathOf(app);
    await fsp.mkdir(this.root, { recursive: true });
    await execFileAsync('git', ['init', '--quiet', '--bare', '--initial-branch=main', '--', dir]);
    const set = (key: string, value: string) => execFileAsync('git', ['-C', dir, 'config', key, value]);
    await set('http.receivepack', 'true');
    await set('receive.fsckObjects', 'true');
    await set('receive.denyDeletes', 'false');
    await set('receive.denyNonFastForwards', 'false');
    await set('core.logAllRefUpdates', 'true');
    await this.installHook(app);
  }

  /** (Re)writes the hook so that it points at this checkout's hook script. */
  async installHook(app: string): Promise<void> {
    const hook = path.join(this.pathOf(app), 'hooks', 'pre-receive');
    await fsp.mkdir(path.dirname(hook), { recursive: true });
    const script = `#!/bin/sh\nexec ${shellQuote(process.execPath)} ${shellQuote(HOOK_SCRIPT)}\n`;
    await fsp.writeFile(hook, script, { mode: 0o755 });
  }

  async installAllHooks(): Promise<void> {
    if (!fs.existsSync(this.root)) return;
    for (const entry of await fsp.readdir(this.root)) {
      if (entry.endsWith('.git')) await this.installHook(entry.slice(0, -4));
    }
  }

  async remove(app: string): Promise<void> {
    await fsp.rm(this.pathOf(app), { recursive: true, force: true });
  }

  /** The commit a branch, a full or a short id names (tags peeled), or undefined. */
  async resolveCommit(app: string, ref: string): Promise<string | undefined> {
    return resolveCommit(this.pathOf(app), ref);
  }

  /** The newest commits of a branch, newest first. */
  async recentCommits(app: string, branch: string, limit: number): Promise<CommitSummary[]> {
    return recentCommits(this.pathOf(app), branch, limit);
  }

  async moveBranch(app: string, branch: string, commit: string): Promise<void> {
    await execFileAsync('git', ['-C', this.pathOf(app), 'update-ref', `refs/heads/${branch}`, commit]);
  }

  /** The commit a branch points at, or undefined. */
  async branchCommit(app: string, branch: string): Promise<string | undefined> {
    return resolveCommit(this.pathOf(app), `refs/heads/${branch}`);
  }
}

/** Quotes a path for the two-line hook wrapper; paths come from our own install, not from users. */
function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
