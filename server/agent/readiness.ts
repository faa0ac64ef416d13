// Readiness: a web process is ready when an HTTP GET on its port answers 2xx/3xx (and, if asked,
// its body contains the expected text) before the timeout.
import http from 'node:http';
import type { ReadinessCheck } from './protocol.ts';

function probe(port: number, check: ReadinessCheck): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: check.path, timeout: 2000, agent: false }, (res) => {
      const ok = (res.statusCode ?? 500) < 400;
      if (!ok || !check.expect) {
        res.resume();
        resolve(ok);
        return;
      }
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < 1_000_000) body += chunk;
      });
      res.on('end', () => resolve(body.includes(check.expect!)));
      res.on('error', () => resolve(false));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/**
 * Polls until ready; resolves false on timeout. `abandoned` lets the caller stop polling early
 * (e.g. the process exited).
 */
export async function waitReady(port: number, check: ReadinessCheck, abandoned: () => boolean): Promise<boolean> {
  const deadline = Date.now() + check.timeoutMs;
  let delay = 50;
  while (Date.now() < deadline) {
    if (abandoned()) return false;
    if (await probe(port, check)) return true;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(500, delay * 1.5);
  }
  return false;
}
