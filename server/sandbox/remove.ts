// Removing folders that untrusted code could write to. Node's recursive rm lists a folder by path
// after checking it, so a tenant process that swaps the folder for a symlink in between makes a
// root server delete whatever the link points at. GNU rm walks by file descriptor and never follows
// a link; it does the removal. Where the tree belongs to an app's uid, that uid first removes what
// it can itself (it can reach nothing it could not delete anyway), and its leftover processes are
// killed first so that nothing races the removal.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { UnixUser } from './confine.ts';

const execFileAsync = promisify(execFile);

export interface RemoveOptions {
  /** The uid that owns (most of) the tree, when we are root. */
  owner?: UnixUser;
  /** setpriv, to act as the owner. */
  setpriv?: string;
  /** Kill every process of the owner first: only for uids nothing else legitimately runs as now. */
  killOwner?: boolean;
}

const asOwner = (options: RemoveOptions, argv: string[]): [string, string[]] =>
  [options.setpriv!, [`--reuid=${options.owner!.uid}`, `--regid=${options.owner!.gid}`, '--clear-groups', '--no-new-privs', '--', ...argv]];

/** Kills every process running as `owner` (kill -9 -1, run as that uid: it reaches nothing else). */
export async function killAllProcessesOf(owner: UnixUser, setpriv: string): Promise<void> {
  if (owner.uid <= 0) throw new Error('refusing to kill the processes of root');
  const [file, args] = asOwner({ owner, setpriv }, ['kill', '-9', '-1']);
  await execFileAsync(file, args, { env: { PATH: '/usr/bin:/bin' }, timeout: 10_000 }).catch(() => {});
}

function ownedEntries(dir: string, uid: number): string[] {
  const top = fs.lstatSync(dir, { throwIfNoEntry: false });
  if (!top?.isDirectory()) return [];
  if (top.uid === uid) return [dir];
  return fs.readdirSync(dir).map((e) => path.join(dir, e)).filter((p) => fs.lstatSync(p, { throwIfNoEntry: false })?.uid === uid);
}

export async function removeTree(dir: string, options: RemoveOptions = {}): Promise<void> {
  const isRoot = process.getuid?.() === 0;
  if (isRoot && options.owner && options.setpriv) {
    if (options.killOwner) await killAllProcessesOf(options.owner, options.setpriv);
    // The owner's own folders (the tree itself, or its children below a root-owned top) go first, as
    // the owner; the names are read from a folder only root can change, so they cannot be swapped.
    const owned = ownedEntries(dir, options.owner.uid);
    if (owned.length) {
      const [file, args] = asOwner(options, ['rm', '-rf', '--one-file-system', '--', ...owned]);
      await execFileAsync(file, args, { env: { PATH: '/usr/bin:/bin' }, timeout: 10 * 60_000 }).catch(() => {});
    }
  }
  const rm = () => execFileAsync('rm', ['-rf', '--one-file-system', '--', dir], { env: { PATH: '/usr/bin:/bin' }, timeout: 10 * 60_000 });
  try {
    await rm().catch(async () => {
      // A build that left read-only folders (npm caches do): open them up, links not followed.
      await execFileAsync('chmod', ['-R', 'u+rwx', '--', dir], { env: { PATH: '/usr/bin:/bin' }, timeout: 10 * 60_000 }).catch(() => {});
      await rm();
    });
  } catch (error) {
    throw new Error(`could not remove ${dir}: ${String((error as { stderr?: string }).stderr ?? (error as Error).message).trim().slice(0, 300)}`);
  }
}
