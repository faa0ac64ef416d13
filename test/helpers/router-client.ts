// Requests through the router with a Host header (fetch cannot set Host), and a poller that
// records every answer while a deploy or restart happens.
import http from 'node:http';

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

export function getViaRouter(routerPort: number, host: string, urlPath = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: routerPort, path: urlPath, headers: { host }, agent, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

export interface PollResult {
  total: number;
  errors: string[];
  bodies: Map<string, number>;
}

/** Polls continuously until stop() is called; counts every non-200 or failed request as an error. */
export function startPoller(routerPort: number, host: string): { stop(): Promise<PollResult> } {
  const result: PollResult = { total: 0, errors: [], bodies: new Map() };
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const res = await getViaRouter(routerPort, host);
        result.total++;
        if (res.status !== 200) result.errors.push(`HTTP ${res.status}: ${res.body.slice(0, 100)}`);
        else result.bodies.set(res.body, (result.bodies.get(res.body) ?? 0) + 1);
      } catch (error) {
        result.total++;
        result.errors.push((error as Error).message);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return result;
    },
  };
}

/** Waits until the router serves `expected` for the host (after a deploy switched it). */
export async function waitForBody(routerPort: number, host: string, expected: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const res = await getViaRouter(routerPort, host).catch((e: Error) => ({ status: 0, body: e.message }));
    last = `${res.status} ${res.body}`;
    if (res.status === 200 && res.body.includes(expected)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`router never served "${expected}" for ${host}; last answer: ${last}`);
}
