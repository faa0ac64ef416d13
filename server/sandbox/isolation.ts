// How untrusted code (app processes, app hooks, builds) is kept away from the platform on this host.
// Decided once per process (server or agent) from what the host offers:
//   uid     — we are root: every app runs as its own unprivileged uid/gid (setpriv drops to it),
//             inside a bubblewrap sandbox as well when bwrap works here;
//   bwrap   — we are an ordinary user: a bubblewrap sandbox in a user namespace shows the app only
//             a read-only system, its own directories and a private /tmp;
//   shared  — neither, and the operator said SCALARIUM_INSECURE_SHARED_USER=1: apps run as us;
//   refused — neither, and nobody said so: app processes and builds are refused with a reason.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export type IsolationMode = 'uid' | 'bwrap' | 'shared' | 'refused';

export interface Isolation {
  mode: IsolationMode;
  /** bwrap binary when commands are wrapped in a bubblewrap sandbox (modes uid and bwrap). */
  bwrap?: string;
  /** setpriv binary that drops root to the app's uid (mode uid). */
  setpriv?: string;
  /** One line for start-up output and the status page. */
  summary: string;
  /** Set when apps are not isolated: shown loudly at start and on the UI. */
  warning?: string;
}

export interface HostProbe {
  isRoot: boolean;
  /** Absolute path of a program found on PATH, or undefined. */
  which(program: string): string | undefined;
  /** True when bwrap can create a sandbox here (user namespaces may be disabled). */
  bwrapWorks(bwrap: string, asRoot: boolean): boolean;
}

export const INSECURE_FLAG = 'SCALARIUM_INSECURE_SHARED_USER';

export function which(program: string, envPath = process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'): string | undefined {
  for (const dir of [...envPath.split(':'), '/usr/bin', '/bin', '/usr/sbin', '/sbin']) {
    if (!dir.startsWith('/')) continue;
    const candidate = path.join(dir, program);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function bwrapWorks(bwrap: string, asRoot: boolean): boolean {
  const args = ['--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev', '--unshare-pid', ...(asRoot ? [] : ['--unshare-user']), '--', 'true'];
  const result = spawnSync(bwrap, args, { stdio: 'ignore', timeout: 10_000 });
  return result.status === 0;
}

export const hostProbe: HostProbe = { isRoot: process.getuid?.() === 0, which, bwrapWorks };

/**
 * SCALARIUM_SANDBOX: `auto` (default) uses bubblewrap when it works, `bwrap` insists on it, `off`
 * never uses it (as root, apps then rely on their uid and file permissions alone).
 */
export function detectIsolation(env: NodeJS.ProcessEnv = process.env, probe: HostProbe = hostProbe): Isolation {
  const wanted = env.SCALARIUM_SANDBOX ?? 'auto';
  if (!['auto', 'bwrap', 'off'].includes(wanted)) throw new Error(`SCALARIUM_SANDBOX must be auto, bwrap or off, got "${wanted}"`);
  const bwrapPath = wanted === 'off' ? undefined : probe.which('bwrap');
  const bwrap = bwrapPath && probe.bwrapWorks(bwrapPath, probe.isRoot) ? bwrapPath : undefined;
  const install = 'Install bubblewrap (apt-get install bubblewrap, dnf install bubblewrap)';
  const why = wanted === 'off' ? 'bubblewrap is turned off (SCALARIUM_SANDBOX=off)' : bwrapPath ? 'bubblewrap cannot create a sandbox here (user namespaces disabled?)' : 'bubblewrap is not installed';
  if (wanted === 'bwrap' && !bwrap) {
    throw new Error(`SCALARIUM_SANDBOX=bwrap, but ${bwrapPath ? `${bwrapPath} cannot create a sandbox here (are user namespaces disabled?)` : 'bwrap is not installed'}: ${install.toLowerCase()}, or set SCALARIUM_SANDBOX=auto`);
  }
  if (probe.isRoot) {
    const setpriv = probe.which('setpriv');
    if (!setpriv) {
      return {
        mode: 'refused',
        summary: 'apps cannot be isolated: setpriv (util-linux) is missing, so root cannot drop to the apps\' uids',
        warning: 'App processes and builds are refused until util-linux (setpriv) is installed.',
      };
    }
    return {
      mode: 'uid', setpriv, ...(bwrap ? { bwrap } : {}),
      summary: bwrap
        ? 'apps run as their own uid in a bubblewrap sandbox (read-only system, private /tmp)'
        : 'apps run as their own uid (bubblewrap not available: they share the host\'s /tmp and see its files by permission)',
    };
  }
  if (bwrap) return { mode: 'bwrap', bwrap, summary: 'apps run in a bubblewrap sandbox (user namespace): they see a read-only system, their own directories and a private /tmp' };
  if (env[INSECURE_FLAG] === '1') {
    return {
      mode: 'shared',
      summary: 'apps are NOT isolated: they run as the server\'s own user',
      warning: `${INSECURE_FLAG}=1: apps and builds run as the server's user and can read its data directory, key and tokens (${why}). ${install} or run as root to isolate them.`,
    };
  }
  return {
    mode: 'refused',
    summary: 'apps cannot be isolated here, so app processes and builds are refused',
    warning: `App processes and builds are refused: the server runs as an ordinary user and ${why}. ${install}, run the server as root, or accept running apps as the server's own user with ${INSECURE_FLAG}=1.`,
  };
}

/** Thrown where untrusted code would start although it cannot be isolated. */
export class IsolationRefused extends Error {
  constructor(isolation: Isolation) {
    super(isolation.warning ?? isolation.summary);
  }
}

export function assertIsolated(isolation: Isolation): void {
  if (isolation.mode === 'refused') throw new IsolationRefused(isolation);
}
