// What an agent started, on disk: so that its next life (after a kill -9 or a crash) and the local
// provider (stopping an instance whose agent is gone) can end what nobody supervises any more.
// Each app process leads a process group of its own (spawned detached), so a record is the
// leader's pid and its start time (/proc/<pid>/stat field 22, clock ticks since boot): a pid the
// kernel gave to an unrelated process since then has another start time and is never signalled.
import fs from 'node:fs';
import path from 'node:path';

export interface ProcessRecord {
  id: string;
  app: string;
  /** The leader of the process's group: its pid is the group id. */
  pid: number;
  /** Field 22 of /proc/<pid>/stat when it was started. */
  startTime: number;
}

/** In the agent's own directory (0700): read by the agent's next life and by the local provider. */
export const RECORDS_FILE = 'app-processes.json';
/** The same leaders' pids, one a line, for scripts and operators (`kill -- -PID`). */
export const PIDS_FILE = 'app-pids';

/** Of /proc/<pid>/stat: the group, the start time, and for usage (usage.ts) CPU ticks and resident pages. */
export interface Stat { pid: number; state: string; pgrp: number; startTime: number; cpuTicks: number; rssPages: number }

function readStat(pid: number): Stat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces and parentheses itself.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const pgrp = Number(fields[2]);
  const startTime = Number(fields[19]);
  if (!Number.isInteger(pgrp) || !Number.isInteger(startTime)) return undefined;
  // utime + stime (fields 14, 15) and rss (field 24).
  const cpuTicks = Number(fields[11]) + Number(fields[12]);
  const rssPages = Number(fields[21]);
  return { pid, state: fields[0] ?? '?', pgrp, startTime, cpuTicks: Number.isFinite(cpuTicks) ? cpuTicks : 0, rssPages: Number.isFinite(rssPages) ? rssPages : 0 };
}

/** The process's start time; also of a zombie (a command that exited at once may be one already). */
export function startTimeOf(pid: number): number | undefined {
  return readStat(pid)?.startTime;
}

/** True while the process runs: not gone, not a zombie nobody reaped yet. */
export function isRunning(pid: number): boolean {
  const stat = readStat(pid);
  return Boolean(stat && stat.state !== 'Z');
}

/** Every live process of the host (zombies left out). */
export function allStats(): Stat[] {
  let names: string[];
  try {
    names = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  return names.filter((n) => /^\d+$/.test(n)).map((n) => readStat(Number(n))).filter((s): s is Stat => Boolean(s && s.state !== 'Z'));
}

/**
 * The live processes of the record's group. Its leader alive with another start time means the
 * group is gone and its number reused: none then. A group's number stays taken while any member
 * lives, so members of a group whose leader exited are still the record's (and started after it).
 */
export function liveMembers(record: ProcessRecord, stats: Stat[] = allStats()): number[] {
  const leader = stats.find((s) => s.pid === record.pid);
  if (leader && leader.startTime !== record.startTime) return [];
  return stats.filter((s) => s.pgrp === record.pid && s.startTime >= record.startTime && s.pid !== process.pid).map((s) => s.pid);
}

export function writeRecords(dir: string, records: ProcessRecord[]): void {
  // Written synchronously right after each spawn: a kill -9 a moment later still finds the process.
  const file = path.join(dir, RECORDS_FILE);
  fs.writeFileSync(`${file}.new`, `${JSON.stringify(records)}\n`, { mode: 0o600 });
  fs.renameSync(`${file}.new`, file);
  fs.writeFileSync(path.join(dir, PIDS_FILE), records.map((r) => r.pid).join('\n'), { mode: 0o600 });
}

export function readRecords(dir: string): ProcessRecord[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(path.join(dir, RECORDS_FILE), 'utf8'));
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  return parsed.filter((r): r is ProcessRecord => Boolean(r) && typeof r.id === 'string' && typeof r.app === 'string'
    && Number.isInteger(r.pid) && r.pid > 1 && Number.isInteger(r.startTime) && r.startTime >= 0);
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // gone meanwhile
  }
}

/**
 * Ends the recorded groups that still live: SIGTERM, SIGKILL after `graceMs`. Resolves with the
 * records that had live processes, once none of them has any (or 5 s after the SIGKILL).
 */
export async function endRecorded(records: ProcessRecord[], graceMs: number): Promise<ProcessRecord[]> {
  const live = () => {
    const stats = allStats();
    return records.filter((r) => liveMembers(r, stats).length > 0);
  };
  const found = live();
  for (const record of found) signalGroup(record.pid, 'SIGTERM');
  const pause = () => new Promise((resolve) => setTimeout(resolve, 100));
  const termDeadline = Date.now() + graceMs;
  let left = found;
  while (left.length && Date.now() < termDeadline) {
    await pause();
    left = live();
  }
  // Signalled only after checking again: a group that ended has no number of its own any more.
  for (const record of left) signalGroup(record.pid, 'SIGKILL');
  const killDeadline = Date.now() + 5000;
  while (left.length && Date.now() < killDeadline) {
    await pause();
    left = live();
  }
  return found;
}
