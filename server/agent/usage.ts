// What an agent measures every interval: per app process (its whole process group: `npm start`
// and the node it runs count together) the CPU it used and its resident memory, and for the
// instance its load, CPU, memory and the disk its apps live on. CPU is a share of one core over the
// interval, from the kernel's tick counters, so a sample never misses what happened between two.
import fs from 'node:fs';
import os from 'node:os';
import type { InstanceUsage, ProcessUsage } from './protocol.ts';
import { allStats, liveMembers, type ProcessRecord, type Stat } from './process-records.ts';

/** Linux's USER_HZ: /proc counts CPU time in these on every architecture Node runs on. */
const TICKS_PER_SECOND = 100;

export interface UsageProcess extends ProcessRecord { type: string }

/** The instance's own figures (routers report these too). */
export class InstanceSampler {
  private lastCpu = cpuTimes();

  constructor(private readonly diskPath: string) {}

  sample(): InstanceUsage {
    const cpu = cpuTimes();
    const busy = cpu.busy - this.lastCpu.busy;
    const all = cpu.total - this.lastCpu.total;
    this.lastCpu = cpu;
    const memory = memoryInfo();
    const disk = diskInfo(this.diskPath);
    return {
      load1: round(os.loadavg()[0] ?? 0),
      cpus: os.cpus().length,
      cpuPercent: all > 0 ? round((busy * 100) / all) : 0,
      memoryUsedBytes: memory.total - memory.available,
      memoryTotalBytes: memory.total,
      ...(disk ? { diskUsedBytes: disk.used, diskTotalBytes: disk.total } : {}),
    };
  }
}

export class UsageSampler {
  private lastAt = 0;
  private lastTicks = new Map<string, number>();
  private readonly instance: InstanceSampler;
  private readonly pageBytes = pageSize();

  constructor(diskPath: string) {
    this.instance = new InstanceSampler(diskPath);
  }

  /** The processes' and the instance's usage since the previous call (the first one: since construction). */
  sample(processes: UsageProcess[], now = Date.now()): { instance: InstanceUsage; processes: ProcessUsage[] } {
    const elapsedMs = this.lastAt ? now - this.lastAt : 0;
    this.lastAt = now;
    const stats = allStats();
    const byPid = new Map<number, Stat>(stats.map((s) => [s.pid, s]));
    const ticks = new Map<string, number>();
    const usage: ProcessUsage[] = [];
    for (const p of processes) {
      const members = liveMembers(p, stats).map((pid) => byPid.get(pid)!).filter(Boolean);
      const total = members.reduce((sum, s) => sum + s.cpuTicks, 0);
      ticks.set(p.id, total);
      const before = this.lastTicks.get(p.id);
      // A process seen for the first time has no interval yet; a restarted one (fewer ticks) starts over.
      const used = before !== undefined && total >= before && elapsedMs > 0 ? (total - before) / TICKS_PER_SECOND : undefined;
      usage.push({
        id: p.id, app: p.app, type: p.type,
        ...(used !== undefined ? { cpuPercent: round((used * 100_000) / elapsedMs) } : {}),
        rssBytes: members.reduce((sum, s) => sum + s.rssPages, 0) * this.pageBytes,
      });
    }
    this.lastTicks = ticks;
    return { instance: this.instance.sample(), processes: usage };
  }
}

function cpuTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const { times } of os.cpus()) {
    const sum = times.user + times.nice + times.sys + times.irq + times.idle;
    total += sum;
    busy += sum - times.idle;
  }
  return { busy, total };
}

/** MemAvailable counts the page cache the kernel would give back: "used" is what apps hold. */
function memoryInfo(): { total: number; available: number } {
  try {
    const text = fs.readFileSync('/proc/meminfo', 'utf8');
    const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1]);
    const total = kib('MemTotal');
    const available = kib('MemAvailable');
    if (Number.isFinite(total) && Number.isFinite(available)) return { total: total * 1024, available: available * 1024 };
  } catch {
    // not Linux: what Node knows
  }
  return { total: os.totalmem(), available: os.freemem() };
}

function diskInfo(dir: string): { used: number; total: number } | undefined {
  try {
    const s = fs.statfsSync(dir);
    return { total: s.blocks * s.bsize, used: (s.blocks - s.bfree) * s.bsize };
  } catch {
    return undefined;
  }
}

/** The kernel's page size, from this process's own resident size in kB and in pages (4 KiB unless told otherwise). */
function pageSize(): number {
  try {
    const kib = Number(/^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1]);
    const pages = allStats().find((s) => s.pid === process.pid)?.rssPages;
    if (kib > 0 && pages) return 2 ** Math.round(Math.log2((kib * 1024) / pages));
  } catch {
    // fall through
  }
  return 4096;
}

const round = (n: number): number => Math.round(n * 100) / 100;
