// Local instances share this host, and most apps listen on every address (Express's default), so
// without a rule every app's port is reachable from the network, past the router and whatever it
// enforces. Apps get their ports from one range (SCALARIUM_APP_PORTS); one firewall rule per IP
// version closes that range to everything but loopback. Idempotent: servers sharing a host (or a
// restart) find the rule in place. It stays when the server stops: the range is the apps'. On
// loopback, apps are kept from each other's ports too (server/net/loopback-guard.ts).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { formatPortRange, type PortRange, ensureAppPortsChain, type UidSpan } from '../../server/plugin-api.ts';

const run = promisify(execFile);

export interface GuardResult { ok: boolean; text: string }

const COMMENT = 'scalarium: app ports are reached through the router only';

export function ruleFor(range: PortRange): string[] {
  return [
    'INPUT', '!', '-i', 'lo', '-p', 'tcp', '--dport', `${range.first}:${range.last}`,
    '-m', 'comment', '--comment', COMMENT, '-j', 'REJECT', '--reject-with', 'tcp-reset',
  ];
}

function find(tool: string): string | undefined {
  return ['/usr/sbin', '/sbin', '/usr/bin', '/bin'].map((d) => `${d}/${tool}`).find((p) => fs.existsSync(p));
}

async function ensureRules(tool: string, range: PortRange, uids: UidSpan): Promise<void> {
  await ensureAppPortsChain(tool, range, uids);
  const rule = ruleFor(range);
  const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
  // -w: wait for the xtables lock rather than fail when another server adds its rule right now.
  const present = await run(tool, ['-w', '5', '-C', ...rule], { env }).then(() => true, () => false);
  if (!present) await run(tool, ['-w', '5', '-I', ...rule], { env });
}

export async function closeAppPortsToNetwork(range: PortRange, uids: UidSpan, env: NodeJS.ProcessEnv = process.env): Promise<GuardResult> {
  const ports = formatPortRange(range);
  const advice = `close TCP ${ports} to everything but loopback in the host's firewall (only the router's port needs to be public)`;
  if (env.SCALARIUM_FIREWALL_APP_PORTS === '0') return { ok: true, text: `app ports ${ports}: left to the host's firewall (SCALARIUM_FIREWALL_APP_PORTS=0)` };
  if (process.getuid?.() !== 0) return { ok: false, text: `app ports ${ports} may be reachable from the network: the server is not root and cannot add a firewall rule; ${advice}` };
  const v4 = find('iptables');
  if (!v4) return { ok: false, text: `app ports ${ports} may be reachable from the network: iptables is not installed (apt-get install iptables, then restart); or ${advice}` };
  try {
    await ensureRules(v4, range, uids);
  } catch (error) {
    const why = String((error as { stderr?: string }).stderr || (error as Error).message).trim().split('\n')[0];
    return { ok: false, text: `app ports ${ports} may be reachable from the network: iptables failed (${why}); ${advice}` };
  }
  const v6 = find('ip6tables');
  const v6ok = v6 ? await ensureRules(v6, range, uids).then(() => true, () => false) : false;
  return v6ok
    ? { ok: true, text: `app ports ${ports} are closed to the network and to other apps on loopback (iptables and ip6tables); only the router's port is public` }
    : { ok: false, text: `app ports ${ports} are closed to IPv4 networks, but ip6tables ${v6 ? 'failed' : 'is missing'}: an app listening on :: is reachable over IPv6; ${advice}` };
}
