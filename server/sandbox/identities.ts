// The unix identities of apps: each app gets a pair of unprivileged uids from the operator's range
// (SCALARIUM_APP_UIDS, default 700000000-700999999) — one its processes run as, one its builds run as,
// so that a build cannot tamper with the running app and the app cannot poison its build cache.
// gid = uid. They need no /etc/passwd entry: no login shell, no home but the app's own directory.
import fs from 'node:fs';
import type { UnixUser } from './confine.ts';

export interface UidRange { first: number; last: number }

/** Above what useradd hands out as subordinate ids (SUB_UID_MAX 600100000): containers' user namespaces stay apart. */
export const DEFAULT_APP_UIDS = '700000000-700999999';

export function parseUidRange(value: string = DEFAULT_APP_UIDS): UidRange {
  const match = /^(\d+)-(\d+)$/.exec(value.trim());
  const first = Number(match?.[1]);
  const last = Number(match?.[2]);
  // Below 1000 are system accounts; 65534 is nobody; 2^31 and up confuse many tools.
  if (!match || first < 1000 || last < first + 1 || last >= 2 ** 31 || (first <= 65534 && last >= 65534)) {
    throw new Error(`SCALARIUM_APP_UIDS must be a range FIRST-LAST of at least 2 uids between 1000 and 2147483647 that leaves out 65534 (nobody), e.g. ${DEFAULT_APP_UIDS}; got "${value}"`);
  }
  return { first, last };
}

/** How many apps the range has room for (two uids each). */
export function capacity(range: UidRange): number {
  return Math.floor((range.last - range.first + 1) / 2);
}

export function appUser(range: UidRange, index: number): UnixUser {
  return user(range, index, 0);
}

export function buildUser(range: UidRange, index: number): UnixUser {
  return user(range, index, 1);
}

function user(range: UidRange, index: number, offset: 0 | 1): UnixUser {
  if (!Number.isInteger(index) || index < 0 || index >= capacity(range)) throw new Error(`app identity ${index} is outside SCALARIUM_APP_UIDS`);
  const uid = range.first + 2 * index + offset;
  return { uid, gid: uid };
}

/** The smallest index no app holds yet. */
export function firstFreeIndex(taken: Iterable<number>, range: UidRange): number | undefined {
  const used = new Set(taken);
  for (let i = 0; i < capacity(range); i++) if (!used.has(i)) return i;
  return undefined;
}

/**
 * Accounts and subordinate id ranges (user namespaces of containers) of this host that fall in the
 * apps' range: sharing a uid with them would let an app touch their files.
 */
export function overlapsOnHost(range: UidRange, files: { passwd?: string; subuid?: string; subgid?: string } = readHostFiles()): string[] {
  const found: string[] = [];
  for (const line of (files.passwd ?? '').split('\n')) {
    const [name, , uid] = line.split(':');
    const n = Number(uid);
    if (name && Number.isInteger(n) && n >= range.first && n <= range.last) found.push(`user ${name} (uid ${n})`);
  }
  for (const [label, text] of [['/etc/subuid', files.subuid], ['/etc/subgid', files.subgid]] as const) {
    for (const line of (text ?? '').split('\n')) {
      const [name, start, count] = line.split(':');
      const first = Number(start);
      const last = first + Number(count) - 1;
      if (name && Number.isInteger(first) && Number.isInteger(last) && first <= range.last && last >= range.first) found.push(`${label} range of ${name} (${first}-${last})`);
    }
  }
  return found;
}

function readHostFiles(): { passwd?: string; subuid?: string; subgid?: string } {
  const read = (file: string) => {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  };
  return { passwd: read('/etc/passwd'), subuid: read('/etc/subuid'), subgid: read('/etc/subgid') };
}
