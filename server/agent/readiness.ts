// Readiness: a web process is ready when an HTTP GET on its port answers 2xx/3xx (and, if asked,
// its body contains the expected text) before the timeout. The same probe serves the liveness
// check (liveness.ts) once it is ready.
import http from 'node:http';
import type { ReadinessCheck } from './protocol.ts';

/** One probe gives up after this long in all: a hung app fails it instead of stalling the caller. */
export const PROBE_TIMEOUT_MS = 2000;

/** What a probe asks for: the path, and text the body must contain. */
export type ProbeTarget = Pick<ReadinessCheck, 'path' | 'expect'>;

/** `why`, for a failed probe, says what went wrong in a few words ("HTTP 503", "connection refused"). */
export type ProbeResult = { ok: true } | { ok: false; why: string };

/**
 * One GET on 127.0.0.1:`port`; `signal` abandons it (it then fails). The verdict comes with the
 * headers (or the expected text), but the probe ends with its answer, read to the end (an app should
 * not see its health checks hang up on it) or cut at the timeout: one probe's connection is gone
 * before the caller can start the next.
 */
export function probe(port: number, target: ProbeTarget, signal?: AbortSignal): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let verdict: ProbeResult | undefined;
    const judge = (why?: string) => {
      verdict ??= why === undefined ? { ok: true } : { ok: false, why };
    };
    let done = false;
    /** Ends the probe; `why` is its verdict unless it had one already. */
    const finish = (why?: string) => {
      judge(why);
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', abandon);
      req.destroy();
      resolve(verdict!);
    };
    const abandon = () => finish('abandoned');
    const req = http.get({ host: '127.0.0.1', port, path: target.path, agent: false }, (res) => {
      res.on('error', (error) => finish(describe(error)));
      const status = res.statusCode ?? 500;
      const expect = status < 400 ? target.expect : undefined;
      if (status >= 400) judge(`HTTP ${status}`);
      else if (!expect) judge();
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (!expect || verdict) return;
        if (body.length < 1_000_000) body += chunk;
        if (body.includes(expect)) judge();
      });
      res.on('end', () => finish(`the answer does not contain "${expect}"`));
    });
    req.on('error', (error) => finish(describe(error)));
    const timer = setTimeout(() => finish(`no answer within ${PROBE_TIMEOUT_MS / 1000} s`), PROBE_TIMEOUT_MS);
    if (signal?.aborted) abandon();
    else signal?.addEventListener('abort', abandon, { once: true });
  });
}

function describe(error: NodeJS.ErrnoException): string {
  if (error.code === 'ECONNREFUSED') return 'connection refused';
  if (error.code === 'ECONNRESET') return 'connection reset';
  return error.message;
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
    if ((await probe(port, check)).ok) return true;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(500, delay * 1.5);
  }
  return false;
}
