// Apps of one host share its loopback: without a rule, any app (or build) could connect straight to
// another app's port and go around the router. One chain, entered by loopback connections to the
// apps' ports, ends by refusing every app uid; each agent keeps a chain of its own in front of that
// refusal, with one ACCEPT per process of its own: the process's uid to the process's port, so an
// app still reaches itself (and its other processes) on localhost. Root (the router, the agent's
// readiness checks) is not an app uid and passes. iptables and ip6tables, both.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import type { PortRange } from './port-range.ts';

const run = promisify(execFile);
const ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };

export const APP_PORTS_CHAIN = 'SCALARIUM-APP-PORTS';

export interface UidSpan { first: number; last: number }

export function firewallTools(): string[] {
  return ['iptables', 'ip6tables']
    .map((tool) => ['/usr/sbin', '/sbin', '/usr/bin', '/bin'].map((d) => `${d}/${tool}`).find((p) => fs.existsSync(p)))
    .filter((p): p is string => Boolean(p));
}

async function ipt(tool: string, args: string[]): Promise<boolean> {
  // -w: wait for the xtables lock rather than fail when another agent changes its rules right now.
  return run(tool, ['-w', '5', ...args], { env: ENV }).then(() => true, () => false);
}

async function ensure(tool: string, chain: string, rule: string[], where: 'first' | 'last'): Promise<void> {
  if (await ipt(tool, ['-C', chain, ...rule])) return;
  const added = await ipt(tool, where === 'first' ? ['-I', chain, '1', ...rule] : ['-A', chain, ...rule]);
  if (!added) throw new Error(`${tool} could not add a rule to ${chain}`);
}

/** Server side, once per host: the chain, its entry from OUTPUT and the final refusal. */
export async function ensureAppPortsChain(tool: string, ports: PortRange, uids: UidSpan): Promise<void> {
  await ipt(tool, ['-N', APP_PORTS_CHAIN]); // fails when it exists: fine
  await ensure(tool, 'OUTPUT', ['-o', 'lo', '-p', 'tcp', '--dport', `${ports.first}:${ports.last}`, '-j', APP_PORTS_CHAIN], 'first');
  await ensure(tool, APP_PORTS_CHAIN, ['-p', 'tcp', '-m', 'owner', '--uid-owner', `${uids.first}-${uids.last}`, '-j', 'REJECT', '--reject-with', 'tcp-reset'], 'last');
}

const instanceChain = (prefix: string) => `SCALARIUM-${prefix}`.slice(0, 28);

/** One agent's ACCEPT rules; a no-op where the host has no app-ports chain (nothing is refused there). */
export class LoopbackGuard {
  private active = false;

  private constructor(private readonly tools: string[], private readonly chain: string) {}

  /** Takes over the agent's chain (emptied: rules of an earlier life of the agent go). */
  static async open(prefix: string, tools = firewallTools()): Promise<LoopbackGuard> {
    const chain = instanceChain(prefix);
    const present: string[] = [];
    for (const tool of tools) {
      if (!(await ipt(tool, ['-L', APP_PORTS_CHAIN, '-n']))) continue;
      if (!(await ipt(tool, ['-N', chain]))) await ipt(tool, ['-F', chain]);
      await ensure(tool, APP_PORTS_CHAIN, ['-j', chain], 'first');
      present.push(tool);
    }
    const guard = new LoopbackGuard(present, chain);
    guard.active = present.length > 0;
    return guard;
  }

  get enforced(): boolean {
    return this.active;
  }

  private rule(port: number, uid: number): string[] {
    return ['-p', 'tcp', '--dport', String(port), '-m', 'owner', '--uid-owner', String(uid), '-j', 'ACCEPT'];
  }

  async allow(port: number, uid: number): Promise<void> {
    for (const tool of this.tools) await ensure(tool, this.chain, this.rule(port, uid), 'last');
  }

  async revoke(port: number, uid: number): Promise<void> {
    for (const tool of this.tools) while (await ipt(tool, ['-D', this.chain, ...this.rule(port, uid)]));
  }

  /** Removes the agent's chain (its instance is gone). */
  static async remove(prefix: string, tools = firewallTools()): Promise<void> {
    const chain = instanceChain(prefix);
    for (const tool of tools) {
      await ipt(tool, ['-D', APP_PORTS_CHAIN, '-j', chain]);
      await ipt(tool, ['-F', chain]);
      await ipt(tool, ['-X', chain]);
    }
  }
}
