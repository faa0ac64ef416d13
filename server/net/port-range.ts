// The TCP ports app processes are given (SCALARIUM_APP_PORTS). A range of their own, below the
// kernel's ephemeral ports, so that a host firewall can close exactly the apps' ports to the network
// (only the router is public) and an app's port is never one the kernel hands out to clients.
import net from 'node:net';

export interface PortRange { first: number; last: number }

export const DEFAULT_APP_PORTS = '20000-29999';

export function parsePortRange(value: string = DEFAULT_APP_PORTS, name = 'SCALARIUM_APP_PORTS'): PortRange {
  const match = /^\s*(\d{1,5})\s*-\s*(\d{1,5})\s*$/.exec(value);
  const first = Number(match?.[1]);
  const last = Number(match?.[2]);
  if (!match || first < 1024 || last > 65535 || last - first < 15) {
    throw new Error(`${name} must be a range FIRST-LAST of at least 16 ports between 1024 and 65535, e.g. ${DEFAULT_APP_PORTS}; got "${value}"`);
  }
  return { first, last };
}

export const formatPortRange = (range: PortRange): string => `${range.first}-${range.last}`;

/** Whether nothing listens on `port` on any address (the app may bind the wildcard address). */
function bindable(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'EAFNOSUPPORT' || error.code === 'EADDRNOTAVAIL' ? bindable(port, '0.0.0.0') : false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port of the range that nothing listens on and `taken` does not hold, tried from a random start. */
export async function pickFreePort(range: PortRange, taken: ReadonlySet<number> = new Set()): Promise<number> {
  const size = range.last - range.first + 1;
  const start = Math.floor(Math.random() * size);
  for (let i = 0; i < size; i++) {
    const port = range.first + ((start + i) % size);
    if (!taken.has(port) && (await bindable(port, '::'))) return port;
  }
  throw new Error(`no free port left in SCALARIUM_APP_PORTS ${formatPortRange(range)}`);
}
