// Turns a command line into one that runs confined: as the app's uid (setpriv), inside a bubblewrap
// sandbox, or both. Every spawn of untrusted code (app processes, app hooks, buildpack steps,
// source checkouts) goes through here, so there is one place that says what such code can see.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertIsolated, type Isolation } from './isolation.ts';
import { joinCommand } from './cgroups.ts';

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
  /**
   * A command we wait for (a build step, a hook): when it is killed, everything it started goes
   * with it, so nothing of the tenant outlives it to race the cleanup of its folders.
   */
  ephemeral?: boolean;
  /** cgroup.procs files of the command's resource group: it joins them before anything runs. */
  cgroupProcs?: string[];
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

/**
 * Node installed outside the system directories (nvm, a tarball): its prefix is shown read-only,
 * unless that prefix is a whole home directory or the root, where only the binary itself is.
 */
function nodeBind(): { args: string[]; root?: string } {
  if ([...SYSTEM_DIRS, ...ROOT_LINKS].some((d) => isUnder(process.execPath, d))) return { args: [] };
  const prefix = path.dirname(path.dirname(process.execPath));
  const homes = [os.homedir(), '/root', '/home', '/'];
  if (homes.includes(prefix) || path.dirname(prefix) === '/home') return { args: ['--ro-bind', process.execPath, process.execPath] };
  return { args: ['--ro-bind', prefix, prefix], root: prefix };
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
  return args;
}

export function confine(isolation: Isolation, confinement: Confinement, argv: string[]): ConfinedCommand {
  const command = confineWithoutLimits(isolation, confinement, argv);
  if (!confinement.cgroupProcs?.length) return command;
  // Joined as root, outside the sandbox: the tenant's code starts inside its group.
  const [file, ...args] = joinCommand(confinement.cgroupProcs, [command.file, ...command.args]);
  return { file: file!, args, cwd: command.cwd };
}

function confineWithoutLimits(isolation: Isolation, confinement: Confinement, argv: string[]): ConfinedCommand {
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
    // A session of its own: no controlling terminal to push keystrokes into (TIOCSTI). Long-lived
    // processes are spawned detached (a session already) and stay in the process group their
    // supervisor signals; commands we wait for die with their parent instead.
    ...(confinement.ephemeral ? ['--new-session', '--die-with-parent'] : []),
    ...systemBinds(),
    '--proc', '/proc', '--dev', '/dev', '--perms', '0755', '--dir', '/var',
    '--perms', '1777', '--tmpfs', '/tmp', '--perms', '1777', '--tmpfs', '/var/tmp',
  ];
  const node = nodeBind();
  args.push(...node.args);
  // A data or apps directory below /opt (say, or below Node's folder) would show through that
  // read-only bind: cover it with an empty tmpfs before the app's own folders are bound in it.
  const shown = [...SYSTEM_DIRS, ...(node.root ? [node.root] : [])];
  const covered = (confinement.hidden ?? []).filter((h) => shown.some((d) => isUnder(h, d)));
  for (const dir of covered) args.push('--perms', '0711', '--tmpfs', dir);
  // bwrap makes missing parents of a mount point with our umask (077): the app, no longer root,
  // could not walk down to its own directory. Make them explicitly, traversable and empty.
  const exists = (dir: string) => ['/', '/var', '/tmp', '/var/tmp'].includes(dir) || covered.includes(dir)
    || (shown.some((d) => isUnder(dir, d)) && !covered.some((c) => isUnder(dir, c)));
  const made = new Set<string>();
  for (const target of [...(confinement.readable ?? []), ...confinement.writable]) {
    for (let dir = path.dirname(target); !exists(dir) && !made.has(dir); dir = path.dirname(dir)) made.add(dir);
  }
  for (const dir of [...made].sort()) args.push('--perms', '0755', '--dir', dir);
  for (const dir of confinement.readable ?? []) args.push('--ro-bind', dir, dir);
  for (const dir of confinement.writable) args.push('--bind', dir, dir);
  args.push('--chdir', confinement.cwd, '--', ...command);
  return { file: isolation.bwrap, args, cwd: '/' };
}
