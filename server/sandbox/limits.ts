// How much of the host one app process, hook or build may take: memory (swap included, where the
// kernel accounts it), CPU time and the number of processes. Operator-wide settings, one set for
// app processes (SCALARIUM_APP_MEMORY, _CPU, _PIDS) and one for builds (SCALARIUM_BUILD_…);
// `off` lifts one of them. Enforced with cgroups where the host has them (see cgroups.ts).

export interface ResourceLimits {
  memoryBytes?: number;
  /** CPU time as a number of cores (0.5 = half of one). */
  cpus?: number;
  pids?: number;
}

export const APP_DEFAULTS = { memory: '1G', cpu: '1', pids: '1024' };
export const BUILD_DEFAULTS = { memory: '2G', cpu: '1', pids: '1024' };

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

export function parseBytes(value: string, name: string): number | undefined {
  if (value.trim().toLowerCase() === 'off') return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(value);
  const bytes = match ? Math.floor(Number(match[1]) * UNITS[match[2]!.toLowerCase()]!) : NaN;
  if (!(bytes >= 16 * 1024 ** 2)) throw new Error(`${name} must be a size of at least 16M such as 512M or 2G, or off; got "${value}"`);
  return bytes;
}

function parseCpus(value: string, name: string): number | undefined {
  if (value.trim().toLowerCase() === 'off') return undefined;
  const cpus = /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : NaN;
  if (!(cpus >= 0.01 && cpus <= 1024)) throw new Error(`${name} must be a number of CPUs such as 0.5 or 2, or off; got "${value}"`);
  return cpus;
}

function parsePids(value: string, name: string): number | undefined {
  if (value.trim().toLowerCase() === 'off') return undefined;
  const pids = /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!(pids >= 8 && pids <= 4_194_304)) throw new Error(`${name} must be a number of processes of at least 8, or off; got "${value}"`);
  return pids;
}

export function parseLimits(env: NodeJS.ProcessEnv, prefix: 'SCALARIUM_APP' | 'SCALARIUM_BUILD'): ResourceLimits {
  const defaults = prefix === 'SCALARIUM_APP' ? APP_DEFAULTS : BUILD_DEFAULTS;
  const read = (what: 'MEMORY' | 'CPU' | 'PIDS') => env[`${prefix}_${what}`] || defaults[what.toLowerCase() as 'memory' | 'cpu' | 'pids'];
  const limits: ResourceLimits = {};
  const memoryBytes = parseBytes(read('MEMORY'), `${prefix}_MEMORY`);
  const cpus = parseCpus(read('CPU'), `${prefix}_CPU`);
  const pids = parsePids(read('PIDS'), `${prefix}_PIDS`);
  if (memoryBytes !== undefined) limits.memoryBytes = memoryBytes;
  if (cpus !== undefined) limits.cpus = cpus;
  if (pids !== undefined) limits.pids = pids;
  return limits;
}

/** The environment variables that carry limits, for handing them on to agents. */
export const LIMIT_VARIABLES = ['SCALARIUM_APP_MEMORY', 'SCALARIUM_APP_CPU', 'SCALARIUM_APP_PIDS'];

export function formatBytes(bytes: number): string {
  for (const [unit, size] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2]] as const) {
    if (bytes >= size) return `${Number((bytes / size).toFixed(2))} ${unit}`;
  }
  return `${bytes} B`;
}

export function describeLimits(limits: ResourceLimits): string {
  const parts = [
    limits.memoryBytes ? `memory ${formatBytes(limits.memoryBytes)}` : 'memory unlimited',
    limits.cpus ? `${limits.cpus} CPU` : 'CPU unlimited',
    limits.pids ? `${limits.pids} processes` : 'processes unlimited',
  ];
  return parts.join(', ');
}

/** The operator's limit settings as set (for an agent's environment). */
export function limitEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return Object.fromEntries(LIMIT_VARIABLES.flatMap((name) => (env[name] ? [[name, env[name]!]] : [])));
}
