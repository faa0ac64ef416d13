// scalarium-router's settings, from the environment. Every one has a default that runs on one
// machine out of the box, next to a local scalarium-server.
import os from 'node:os';
import path from 'node:path';
import type { RouterOptions } from './router.ts';

function port(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name} must be a port number (0-65535), got "${value}"`);
  return n;
}

export function loadRouterConfig(env: NodeJS.ProcessEnv = process.env): RouterOptions {
  return {
    serverUrl: env.SCALARIUM_SERVER_URL || undefined,
    instanceId: env.SCALARIUM_INSTANCE_ID ?? os.hostname(),
    token: env.SCALARIUM_INSTANCE_TOKEN ?? '',
    host: env.SCALARIUM_ROUTER_HOST || '127.0.0.1',
    port: port(env.SCALARIUM_ROUTER_PORT, 8080, 'SCALARIUM_ROUTER_PORT'),
    statePath: path.resolve(env.SCALARIUM_ROUTER_STATE || path.join(env.SCALARIUM_DATA_DIR || 'data', 'router-table.json')),
  };
}
