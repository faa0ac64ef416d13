// Small helpers shared by the benchmarks: statistics, table printing, argument parsing, free ports,
// and a cleanup registry so that Ctrl-C still stops every server and process a benchmark started.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface Stats { median: number; min: number; max: number; n: number }

export function stats(values: number[]): Stats {
  if (!values.length) return { median: NaN, min: NaN, max: NaN, n: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, n: sorted.length };
}

export function median(values: number[]): number {
  return stats(values).median;
}

export function fmt(value: number, digits = 0): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '-';
}

/** Prints rows as an aligned text table; the first row is the header. Numbers align right. */
export function printTable(rows: Array<Array<string | number>>, write: (line: string) => void = console.log): void {
  const cells = rows.map((row) => row.map((c) => String(c)));
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  cells.forEach((row, r) => {
    write(row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd());
    if (r === 0) write(widths.map((w) => '-'.repeat(w)).join('  '));
  });
}

/** A free TCP port on 127.0.0.1 (closed again before it is returned). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Reads `--name value` (or `--name=value`) as a positive integer. */
export function intArg(argv: string[], name: string, fallback: number): number {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    let raw: string | undefined;
    if (arg === `--${name}`) raw = argv[i + 1];
    else if (arg.startsWith(`--${name}=`)) raw = arg.slice(name.length + 3);
    else continue;
    const value = Number(raw);
    if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} needs a positive integer, got ${JSON.stringify(raw)}`);
    return value;
  }
  return fallback;
}

/** True when the module at `metaUrl` is the script node was asked to run. */
export function isMain(metaUrl: string): boolean {
  return !!process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(metaUrl);
}

/** One line describing the machine, printed with every result. */
export function machine(): string {
  const cpus = os.cpus();
  return `${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown cpu'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ` +
    `${os.platform()} ${os.release()}, node ${process.version}`;
}

/** The 1/5/15-minute load averages: other work on the machine skews every figure. */
export function load(): string {
  return os.loadavg().map((l) => l.toFixed(2)).join(' / ');
}

/** User and system CPU of a process from /proc, in ms (Linux); undefined elsewhere. */
export function procCpuMs(pid: number): number | undefined {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks at USER_HZ 100
  } catch {
    return undefined;
  }
}

export function procRssBytes(pid: number): number | undefined {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Bytes as MB (MiB), or "-" when unknown. */
export const mb = (bytes: number | undefined) => (bytes === undefined ? '-' : fmt(bytes / 2 ** 20));

// Cleanups run in reverse order, on success, on error, and on SIGINT/SIGTERM.
const cleanups: Array<() => unknown> = [];
let signalsHooked = false;

export function onCleanup(fn: () => unknown): () => Promise<void> {
  cleanups.push(fn);
  if (!signalsHooked) {
    signalsHooked = true;
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        process.stderr.write(`\n${signal}: cleaning up...\n`);
        void runCleanups().finally(() => process.exit(130));
      });
    }
  }
  let done = false;
  return async () => {
    if (done) return;
    done = true;
    const i = cleanups.indexOf(fn);
    if (i >= 0) cleanups.splice(i, 1);
    await fn();
  };
}

export async function runCleanups(): Promise<void> {
  while (cleanups.length) {
    const fn = cleanups.pop()!;
    try {
      await fn();
    } catch (error) {
      process.stderr.write(`cleanup failed: ${(error as Error).message}\n`);
    }
  }
}
