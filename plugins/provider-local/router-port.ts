// Which port a local cluster's router listens on. Routers of several local clusters share this
// host, so each needs a port of its own (one shared router would mix the clusters' route tables
// and lifecycles: scaling staging's router would touch production's traffic). The default cluster's
// router takes SCALARIUM_ROUTER_PORT; every other local cluster's router takes the first free port
// above it (8081, 8082, … — or any free port when SCALARIUM_ROUTER_PORT is 0) and keeps it in its
// instance directory, so its apps' URLs stay the same across restarts of the router and the server.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';

export const PORT_FILE = 'router-port';

export function storedRouterPort(dir: string): number | undefined {
  try {
    const port = Number(fs.readFileSync(path.join(dir, PORT_FILE), 'utf8').trim());
    return Number.isInteger(port) && port > 0 && port < 65536 ? port : undefined;
  } catch {
    return undefined;
  }
}

export async function storeRouterPort(dir: string, port: number): Promise<void> {
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  await fsp.writeFile(path.join(dir, PORT_FILE), `${port}\n`, { mode: 0o600 });
}

function canListen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export interface RouterPortChoice {
  /** The router's instance directory. */
  dir: string;
  /** The directory of every local instance (other routers' ports are kept there). */
  instancesRoot: string;
  isDefaultCluster: boolean;
  host: string;
  /** SCALARIUM_ROUTER_PORT. */
  configured: number;
}

/** The port to start the router on: 0 lets it pick one (the server then stores what it reports). */
export async function chooseRouterPort(choice: RouterPortChoice): Promise<number> {
  if (choice.isDefaultCluster) return choice.configured;
  const stored = storedRouterPort(choice.dir);
  if (stored) return stored;
  if (choice.configured === 0) return 0;
  const names = await fsp.readdir(choice.instancesRoot).catch(() => [] as string[]);
  const taken = new Set(names.map((name) => storedRouterPort(path.join(choice.instancesRoot, name))).filter(Boolean));
  for (let port = choice.configured + 1; port < 65536; port++) {
    if (taken.has(port) || !(await canListen(choice.host, port))) continue;
    await storeRouterPort(choice.dir, port);
    return port;
  }
  throw new Error(`no free port above ${choice.configured} for the router: set SCALARIUM_ROUTER_PORT lower, or free one`);
}
