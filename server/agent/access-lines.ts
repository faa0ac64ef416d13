// A router's access entries become its apps' `router` log lines, in Heroku's words:
//   at=info method=GET path="/" host=shop.localhost fwd="127.0.0.1" status=200 service=12ms bytes=1234 protocol=http
// A router speaks only for the apps of its own cluster (by host name, as its metrics do), and an app
// whose config var SCALARIUM_ROUTER_LOGS is "off" gets none (read at most every 2 s).
import type { Scalarium } from '../core/scalarium.ts';
import type { LogLine } from '../core/types.ts';
import { findApp, getConfig } from '../db/apps.ts';
import { appNamesOfCluster, appOfHost } from './router-hosts.ts';
import { findInstance } from '../db/instances.ts';
import type { AccessEntry } from './protocol.ts';
import { logTextLines } from './log-text.ts';

const CACHE_MS = 2000;
/** A batch larger than this is cut: a router sends at most a few thousand entries per flush. */
const MAX_ENTRIES = 20_000;
const ERRORS: Record<string, string> = { H13: 'App did not answer', H14: 'No process ready' };

/** The message of one access line; anything a router sends is checked and escaped. */
export function accessMessage(entry: AccessEntry): string {
  const [, host, method, path, status, ms, bytes, fwd, https, code] = entry;
  const whole = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.round(v) : 0);
  const quoted = (v: unknown, max: number) => `"${String(v ?? '').slice(0, max).replace(/["\\]/g, (c) => `\\${c}`)}"`;
  const at = typeof code === 'string' && ERRORS[code] ? `at=error code=${code} desc="${ERRORS[code]}"` : 'at=info';
  const text = `${at} method=${/^[A-Z-]{1,20}$/.test(String(method)) ? method : 'UNKNOWN'} path=${quoted(path, 2048)} host=${String(host).slice(0, 253)} `
    + `fwd=${quoted(String(fwd ?? '').replace(/^::ffff:/, ''), 64)} status=${whole(status)} service=${whole(ms)}ms bytes=${whole(bytes)} protocol=${https === 1 ? 'https' : 'http'}`;
  return logTextLines(text)[0]!;
}

interface Cached<T> { value: Promise<T>; at: number }

export class AccessLines {
  private readonly clusterApps = new Map<string, Cached<Set<string>>>();
  private readonly routerLogsOff = new Map<string, Cached<boolean>>();

  constructor(private readonly scalarium: Scalarium) {}

  /** The log lines of a router's batch that it may speak for and whose apps keep them. */
  async linesOf(instanceId: string, entries: unknown): Promise<LogLine[]> {
    if (!Array.isArray(entries) || !entries.length) return [];
    const apps = await this.appsOfRouter(instanceId);
    const lines: LogLine[] = [];
    for (const e of entries.slice(0, MAX_ENTRIES) as unknown[]) {
      if (!Array.isArray(e)) continue;
      const entry = e as AccessEntry;
      const app = appOfHost(typeof entry[1] === 'string' ? entry[1] : '', this.scalarium.config.domain, apps);
      if (!app || (await this.off(app))) continue;
      const at = Number.isFinite(entry[0]) && Math.abs(entry[0] - Date.now()) < 86_400_000 ? new Date(entry[0]) : new Date();
      lines.push({ app, source: 'router', process: instanceId, line: accessMessage(entry), at: at.toISOString() });
    }
    return lines;
  }

  private appsOfRouter(instanceId: string): Promise<Set<string>> {
    return this.cached(this.clusterApps, instanceId, async () => {
      const instance = await findInstance(this.scalarium.db, instanceId);
      return instance ? appNamesOfCluster(this.scalarium.db, instance.clusterId) : new Set<string>();
    }, new Set<string>());
  }

  private off(app: string): Promise<boolean> {
    return this.cached(this.routerLogsOff, app, async () => {
      const row = await findApp(this.scalarium.db, app);
      return Boolean(row && (await getConfig(this.scalarium.db, row.id)).SCALARIUM_ROUTER_LOGS?.trim().toLowerCase() === 'off');
    }, false);
  }

  private cached<T>(cache: Map<string, Cached<T>>, key: string, load: () => Promise<T>, fallback: T): Promise<T> {
    const entry = cache.get(key);
    if (entry && Date.now() - entry.at < CACHE_MS) return entry.value;
    const value = load().catch(() => fallback);
    cache.set(key, { value, at: Date.now() });
    return value;
  }
}
