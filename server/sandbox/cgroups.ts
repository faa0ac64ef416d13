// Resource limits through cgroups: each app process, hook and build gets a group of its own under
// `scalarium/` with its memory, CPU and process-count limits; the confined command joins it before
// anything of the tenant runs (a fixed shell line writes its pid, then execs), so everything it
// starts — even what escapes its process group with setsid — stays counted, and is killed with the
// group. cgroup v2 (one hierarchy) or v1 (one per controller), whichever the host mounts; only root
// can do either. Where neither works, nothing is limited and the reason is said at start.
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { ResourceLimits } from './limits.ts';

type Controller = 'memory' | 'cpu' | 'pids';

interface Hierarchy { dir: string; controllers: Controller[] }

export interface CgroupHost {
  version: 1 | 2;
  /** Where scalarium's groups go, per hierarchy (one for v2, one per controller for v1). */
  hierarchies: Hierarchy[];
}

export type CgroupDetection = { host: CgroupHost; summary: string } | { host?: undefined; summary: string };

const PARENT = 'scalarium';
const SAFE_NAME = /^[A-Za-z0-9_.-]{1,120}$/;

/** Finds usable cgroups below `root` (the real /sys/fs/cgroup, or a test's copy of its layout). */
export function detectCgroups(isRoot: boolean, root = '/sys/fs/cgroup'): CgroupDetection {
  if (!isRoot) return { summary: 'not enforced: only root can set cgroup limits' };
  try {
    const controllersFile = path.join(root, 'cgroup.controllers');
    if (fs.existsSync(controllersFile)) {
      const available = fs.readFileSync(controllersFile, 'utf8').split(/\s+/);
      const controllers = (['memory', 'cpu', 'pids'] as const).filter((c) => available.includes(c));
      if (!controllers.includes('memory')) return { summary: 'not enforced: the cgroup v2 hierarchy has no memory controller' };
      const dir = path.join(root, PARENT);
      fs.mkdirSync(dir, { recursive: true });
      // Groups below ours may use the controllers only once ours hands them down.
      fs.writeFileSync(path.join(dir, 'cgroup.subtree_control'), controllers.map((c) => `+${c}`).join(' '));
      return { host: { version: 2, hierarchies: [{ dir, controllers: [...controllers] }] }, summary: `enforced with cgroup v2 (${controllers.join(', ')})` };
    }
    const v1 = (['memory', 'cpu', 'pids'] as const).filter((c) => fs.existsSync(path.join(root, c, 'cgroup.procs')));
    if (!v1.includes('memory')) return { summary: 'not enforced: no cgroup memory controller is mounted' };
    const hierarchies = v1.map((c) => ({ dir: path.join(root, c, PARENT), controllers: [c] as Controller[] }));
    for (const h of hierarchies) fs.mkdirSync(h.dir, { recursive: true });
    return { host: { version: 1, hierarchies }, summary: `enforced with cgroup v1 (${v1.join(', ')})` };
  } catch (error) {
    return { summary: `not enforced: cgroups are not writable here (${(error as Error).message})` };
  }
}

/** The argv prefix that puts the command into the group before it runs: `sh -c LINE join FILES -- argv`. */
export function joinCommand(procsFiles: string[], argv: string[]): string[] {
  const line = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"';
  return ['/bin/sh', '-c', line, 'scalarium-join', ...procsFiles, '--', ...argv];
}

export class ResourceGroup {
  private constructor(private readonly host: CgroupHost, private readonly dirs: string[]) {}

  /** The group of that name as it is (to inspect or remove it). */
  static async open(host: CgroupHost, name: string): Promise<ResourceGroup> {
    if (!SAFE_NAME.test(name)) throw new Error(`cgroup name "${name}" is not usable`);
    return new ResourceGroup(host, host.hierarchies.map((h) => path.join(h.dir, name)));
  }

  /** A fresh group with `limits` set; a group of that name left by a crash is emptied first. */
  static async create(host: CgroupHost, name: string, limits: ResourceLimits): Promise<ResourceGroup> {
    if (!SAFE_NAME.test(name)) throw new Error(`cgroup name "${name}" is not usable`);
    const group = await ResourceGroup.open(host, name);
    const dirs = group.dirs;
    await group.remove();
    for (const dir of dirs) await fsp.mkdir(dir);
    for (const [file, value] of settings(host, limits)) {
      const dir = dirs.find((d, i) => host.hierarchies[i]!.controllers.includes(file.split('.')[0] as Controller));
      if (!dir) continue;
      const target = path.join(dir, file);
      if (file.includes('swap') || file.includes('memsw')) {
        // Swap accounting is off on many kernels: then the memory limit alone holds.
        if (fs.existsSync(target)) await fsp.writeFile(target, value).catch(() => {});
        continue;
      }
      await fsp.writeFile(target, value);
    }
    return group;
  }

  /** The files a process writes its pid into to join (one per hierarchy). */
  get procsFiles(): string[] {
    return this.dirs.map((d) => path.join(d, 'cgroup.procs'));
  }

  /** How many times the kernel killed a process of the group for running out of memory. */
  oomKills(): number {
    const memoryDir = this.dirs.find((d, i) => this.host.hierarchies[i]!.controllers.includes('memory'));
    if (!memoryDir) return 0;
    const file = path.join(memoryDir, this.host.version === 2 ? 'memory.events' : 'memory.oom_control');
    try {
      const match = /^oom_kill (\d+)$/m.exec(fs.readFileSync(file, 'utf8'));
      return match ? Number(match[1]) : 0;
    } catch {
      return 0;
    }
  }

  /** Kills whatever is still in the group and removes it. */
  async remove(): Promise<void> {
    for (let attempt = 0; attempt < 20; attempt++) {
      let left = 0;
      for (const dir of this.dirs) {
        if (!fs.existsSync(dir)) continue;
        for (const pid of await members(dir)) {
          left++;
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // gone meanwhile
          }
        }
        await fsp.rmdir(dir).then(() => {}, () => {
          left++;
        });
      }
      if (!left) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

async function members(dir: string): Promise<number[]> {
  const text = await fsp.readFile(path.join(dir, 'cgroup.procs'), 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).map(Number).filter((pid) => pid > 0 && pid !== process.pid);
}

function settings(host: CgroupHost, limits: ResourceLimits): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const period = 100_000;
  if (host.version === 2) {
    if (limits.memoryBytes) out.push(['memory.max', String(limits.memoryBytes)], ['memory.swap.max', '0']);
    if (limits.cpus) out.push(['cpu.max', `${Math.round(limits.cpus * period)} ${period}`]);
    if (limits.pids) out.push(['pids.max', String(limits.pids)]);
  } else {
    // memsw (memory + swap) must not be below the memory limit, so it is written after it.
    if (limits.memoryBytes) out.push(['memory.limit_in_bytes', String(limits.memoryBytes)], ['memory.memsw.limit_in_bytes', String(limits.memoryBytes)]);
    if (limits.cpus) out.push(['cpu.cfs_period_us', String(period)], ['cpu.cfs_quota_us', String(Math.round(limits.cpus * period))]);
    if (limits.pids) out.push(['pids.max', String(limits.pids)]);
  }
  return out;
}

/** The name prefix of one agent's groups (its directory is unique on the host). */
export function agentGroupPrefix(agentDir: string): string {
  return `a${crypto.createHash('sha256').update(path.resolve(agentDir)).digest('hex').slice(0, 12)}`;
}

/** Kills and removes every group whose name starts with `prefix.` (an instance that is gone). */
export async function sweepGroups(host: CgroupHost, prefix: string): Promise<void> {
  const names = new Set<string>();
  for (const h of host.hierarchies) {
    for (const name of await fsp.readdir(h.dir).catch(() => [] as string[])) if (name.startsWith(`${prefix}.`)) names.add(name);
  }
  for (const name of names) await (await ResourceGroup.open(host, name)).remove();
}
