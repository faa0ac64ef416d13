// Who listens on a port. On a host that runs several apps, one app could bind the port the agent
// gave another (before it starts, or while it restarts) and answer its readiness probe and its
// traffic. When apps run as their own uids, the kernel says which uid owns each listening socket
// (/proc/net/tcp{,6}); a web process is ready only if every listener on its port is its own.
import fsp from 'node:fs/promises';

const LISTEN = '0A';

/** The uids of the TCP sockets listening on `port`, from /proc/net/tcp-style text. */
export function listenersIn(table: string, port: number): number[] {
  const uids: number[] = [];
  for (const line of table.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 8 || fields[3] !== LISTEN) continue;
    const local = fields[1]!;
    const hexPort = local.slice(local.lastIndexOf(':') + 1);
    if (parseInt(hexPort, 16) !== port) continue;
    const uid = Number(fields[7]);
    if (Number.isInteger(uid)) uids.push(uid);
  }
  return uids;
}

/** The uids listening on `port` (IPv4 and IPv6), read from this network namespace's tables. */
export async function listenerUids(port: number): Promise<number[]> {
  const tables = await Promise.all(['/proc/net/tcp', '/proc/net/tcp6'].map((file) => fsp.readFile(file, 'utf8').catch(() => '')));
  return tables.flatMap((table) => listenersIn(table, port));
}

/** Why `port` is not `uid`'s alone, or undefined when every listener on it is `uid`'s. */
export async function foreignListener(port: number, uid: number): Promise<string | undefined> {
  const uids = await listenerUids(port);
  const others = [...new Set(uids.filter((u) => u !== uid))];
  if (!others.length) return undefined;
  return `port ${port} is also held by uid ${others.join(', ')} (not this app's uid ${uid}); the process was stopped`;
}
