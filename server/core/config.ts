// Server configuration: every setting has a default that runs on one machine out of the box.
import crypto from 'node:crypto';
import path from 'node:path';
import os from 'node:os';
import { parseUidRange, type UidRange } from '../sandbox/identities.ts';
import { parsePortRange, type PortRange } from '../net/port-range.ts';
import { parseLimits, type ResourceLimits } from '../sandbox/limits.ts';

export interface ServerConfig {
  dataDir: string;
  host: string;
  port: number;
  routerHost: string;
  routerPort: number;
  domain: string;
  /** Set at first start only: becomes the admin's API token (for automation). */
  adminToken: string | undefined;
  /** Plugins named in <dataDir>/plugins.json or SCALARIUM_PLUGINS (comma separated module paths). */
  pluginSpecifiers: string[];
  readinessTimeoutMs: number;
  /** How often instances and routers send their metrics (told in the welcome message). */
  metricsIntervalMs: number;
  /** Identifies this server among several sharing one database. */
  serverId: string;
  /**
   * Where apps and builds work (their folders, the local instances' app folders, buildpacks):
   * outside the data dir, which stays 0700, so that the apps' own uids can reach their folders.
   */
  appsDir: string;
  /** The unix uids apps and builds run as when the server is root (two per app). */
  appUids: UidRange;
  /** The TCP ports app processes listen on (SCALARIUM_APP_PORTS); the local provider closes them to the network. */
  appPorts: PortRange;
  /** A git push whose body is larger than this is refused (SCALARIUM_MAX_PUSH_MB, default 1 GiB). */
  maxPushBytes: number;
  /** Server directories under which an app may name a buildpack by path (operators' own buildpacks). */
  buildpackDirs: string[];
  /** What one app process (SCALARIUM_APP_MEMORY, _CPU, _PIDS) and one build (SCALARIUM_BUILD_…) may take. */
  appLimits: ResourceLimits;
  buildLimits: ResourceLimits;
}

/**
 * As root, apps run as other uids, which must be able to walk down to their folders: a default below
 * /var/lib, one per data dir. As an ordinary user, sandboxes bind the folders in, so the data dir will do.
 */
function defaultAppsDir(dataDir: string): string {
  if (process.getuid?.() !== 0) return path.join(dataDir, 'apps');
  return path.join('/var/lib/scalarium/apps', crypto.createHash('sha256').update(dataDir).digest('hex').slice(0, 12));
}

function metricsInterval(value: string | undefined): number {
  const seconds = int(value, 10, 'SCALARIUM_METRICS_INTERVAL');
  if (seconds < 1 || seconds > 300) throw new Error(`SCALARIUM_METRICS_INTERVAL must be 1 to 300 seconds, got "${value}"`);
  return seconds;
}

function int(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535 * 1000) {
    throw new Error(`${name} must be a non-negative integer, got "${value}"`);
  }
  return n;
}

/** A size in MiB that must be at least 1: a limit of 0 would refuse every push. */
function positiveMegabytes(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback * 1024 * 1024;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1 || n > 1024 * 1024) {
    throw new Error(`${name} must be a positive whole number of megabytes (1 to 1048576), got "${value}"`);
  }
  return n * 1024 * 1024;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const dataDir = path.resolve(env.SCALARIUM_DATA_DIR ?? 'data');
  return {
    dataDir,
    host: env.SCALARIUM_HOST ?? '127.0.0.1',
    port: int(env.SCALARIUM_PORT, 5050, 'SCALARIUM_PORT'),
    routerHost: env.SCALARIUM_ROUTER_HOST ?? env.SCALARIUM_HOST ?? '127.0.0.1',
    routerPort: int(env.SCALARIUM_ROUTER_PORT, 8080, 'SCALARIUM_ROUTER_PORT'),
    domain: (env.SCALARIUM_DOMAIN ?? 'localhost').toLowerCase(),
    adminToken: env.SCALARIUM_ADMIN_TOKEN || undefined,
    pluginSpecifiers: (env.SCALARIUM_PLUGINS ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    readinessTimeoutMs: int(env.SCALARIUM_READINESS_TIMEOUT, 60, 'SCALARIUM_READINESS_TIMEOUT') * 1000,
    metricsIntervalMs: metricsInterval(env.SCALARIUM_METRICS_INTERVAL) * 1000,
    serverId: env.SCALARIUM_SERVER_ID ?? os.hostname(),
    appsDir: path.resolve(env.SCALARIUM_APPS_DIR || defaultAppsDir(dataDir)),
    appUids: parseUidRange(env.SCALARIUM_APP_UIDS || undefined),
    appPorts: parsePortRange(env.SCALARIUM_APP_PORTS || undefined),
    maxPushBytes: positiveMegabytes(env.SCALARIUM_MAX_PUSH_MB, 1024, 'SCALARIUM_MAX_PUSH_MB'),
    buildpackDirs: (env.SCALARIUM_BUILDPACK_DIRS ?? '').split(':').filter(Boolean).map((d) => path.resolve(d)),
    appLimits: parseLimits(env, 'SCALARIUM_APP'),
    buildLimits: parseLimits(env, 'SCALARIUM_BUILD'),
  };
}
