// Turns a command line into one that runs confined: as the app's uid (setpriv), inside a bubblewrap
// sandbox, or both. Every spawn of untrusted code (app processes, app hooks, buildpack steps,
// source checkouts) goes through here, so there is one place that says what such code can see.
import fs from 'node:fs';
import path from 'node:path';
import { assertIsolated, type Isolation } from './isolation.ts';

export interface UnixUser { uid: number; gid: number }

export interface Confinement {
  /** The identity to run as when the server is root (mode uid). Required there. */
  user?: UnixUser;
  /** Directories the code may write: bound read-write into the sandbox. */
  writable: string[];
  /** Directories or files it may only read (buildpacks, the config env dir, cluster.json). */
  readable?: string[];
  /** Platform paths that must stay invisible even where they sit under a system directory. */
  hidden?: string[];
  cwd: string;
}

export interface ConfinedCommand {
  file: string;
  args: string[];
  /** The working directory to give spawn (inside bwrap the command changes into `cwd` itself). */
  cwd: string;
}

/** What a sandbox shows of the host: the system, read-only. Home directories and /var are not in it. */
const SYSTEM_DIRS = ['/usr', '/etc', '/opt'];
/** On merged-/usr systems these are symlinks into /usr; elsewhere real directories. */
const ROOT_LINKS = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

function isUnder(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function systemBinds(): string[] {
  const args: string[] = [];
  for (const dir of SYSTEM_DIRS) args.push('--ro-bind-try', dir, dir);
  for (const link of ROOT_LINKS) {
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(link);
    } catch {
      continue;
    }
    if (stat.isSymbolicLink()) args.push('--symlink', fs.readlinkSync(link), link);
    else if (stat.isDirectory()) args.push('--ro-bind', link, link);
  }
  // Name resolution where /etc/resolv.conf points into systemd-resolved's runtime directory.
  args.push('--ro-bind-try', '/run/systemd/resolve', '/run/systemd/resolve');
  // Node installed outside the system directories (nvm, a tarball in a home directory).
  const nodePrefix = path.dirname(path.dirname(process.execPath));
  if (![...SYSTEM_DIRS, ...ROOT_LINKS].some((d) => isUnder(process.execPath, d))) args.push('--ro-bind', nodePrefix, nodePrefix);
  return args;
}

export function confine(isolation: Isolation, confinement: Confinement, argv: string[]): ConfinedCommand {
  assertIsolated(isolation);
  if (!argv.length) throw new Error('confine: empty command');
  const { user } = confinement;
  let command = argv;
  if (isolation.mode === 'uid') {
    if (!user) throw new Error('confine: running as root needs the app\'s uid');
    if (user.uid <= 0 || user.gid <= 0) throw new Error('confine: refusing to run untrusted code as root');
    // no_new_privs: setuid programs (sudo, su) cannot give the app its privileges back.
    command = [
      isolation.setpriv!, `--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', '--no-new-privs',
      '--inh-caps=-all', '--bounding-set=-all', '--', ...argv,
    ];
  }
  if (!isolation.bwrap) return { file: command[0]!, args: command.slice(1), cwd: confinement.cwd };

  const args = [
    ...(isolation.mode === 'bwrap' ? ['--unshare-user'] : []),
    '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try',
    ...systemBinds(),
    '--proc', '/proc', '--dev', '/dev', '--perms', '0755', '--dir', '/var',
    '--perms', '1777', '--tmpfs', '/tmp', '--perms', '1777', '--tmpfs', '/var/tmp',
  ];
  // A data directory below /opt (say) would be visible through the system bind: cover it first.
  for (const hidden of confinement.hidden ?? []) {
    if (SYSTEM_DIRS.some((d) => isUnder(hidden, d))) args.push('--tmpfs', hidden);
  }
  // bwrap makes missing parents of a mount point with our umask (077): the app, no longer root,
  // could not walk down to its own directory. Make them explicitly, traversable and empty.
  const made = new Set(['/', '/var', '/tmp', '/var/tmp']);
  const parents = (target: string) => {
    for (let dir = path.dirname(target); !made.has(dir) && !SYSTEM_DIRS.some((d) => isUnder(dir, d)); dir = path.dirname(dir)) made.add(dir);
  };
  const binds = [...(confinement.readable ?? []), ...confinement.writable];
  for (const target of binds) parents(target);
  for (const dir of [...made].filter((d) => !['/', '/var', '/tmp', '/var/tmp'].includes(d)).sort()) args.push('--perms', '0755', '--dir', dir);
  for (const dir of confinement.readable ?? []) args.push('--ro-bind', dir, dir);
  for (const dir of confinement.writable) args.push('--bind', dir, dir);
  args.push('--chdir', confinement.cwd, '--', ...command);
  return { file: isolation.bwrap, args, cwd: '/' };
}
