// The liveness loop against real HTTP servers on 127.0.0.1: what counts as a failure, the count of
// failures in a row, one call when it reaches the threshold, and nothing after stop().
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { watchLiveness, type LivenessWatch } from './liveness.ts';
import type { LivenessCheck } from './protocol.ts';
import { until } from '../../test/helpers/until.ts';

/** Short, so that a test takes a moment; the loop's timing itself is not what is tested. */
const INTERVAL_MS = 100;

interface Served {
  port: number;
  /** Requests received so far (a hung one counts once it arrived). */
  requests: number;
  close(): Promise<void>;
}

/** A server whose n-th request (from 0) is answered by `answer(n, res)`. */
async function serve(answer: (n: number, res: http.ServerResponse) => void): Promise<Served> {
  const served = { port: 0, requests: 0 } as Served;
  const server = http.createServer((_req, res) => answer(served.requests++, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  served.port = (server.address() as AddressInfo).port;
  served.close = () => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  return served;
}

const status = (code: number, body = 'ok') => (res: http.ServerResponse) => res.writeHead(code).end(body);

/** Starts a watch and records its calls; every watch is stopped at the end of its test. */
function watch(t: import('ava').ExecutionContext, port: number, check: Partial<LivenessCheck> = {}) {
  const calls: Array<{ failures: number; why: string }> = [];
  const w: LivenessWatch = watchLiveness(port, { path: '/health', intervalMs: INTERVAL_MS, failures: 3, ...check }, (failures, why) => calls.push({ failures, why }));
  t.teardown(() => w.stop());
  return { calls, stop: () => w.stop() };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('a server that answers and then fails is reported unhealthy once, after three failures in a row', async (t) => {
  const server = await serve((n, res) => status(n < 3 ? 200 : 500)(res));
  t.teardown(() => server.close());
  const { calls } = watch(t, server.port);
  await until('the unhealthy call', () => calls.length > 0, { timeoutMs: 20_000 });
  t.deepEqual(calls, [{ failures: 3, why: 'GET /health: HTTP 500' }]);
  t.is(server.requests, 6, 'three good answers, then three failures');
  await pause(INTERVAL_MS * 5);
  t.is(calls.length, 1, 'called once');
  t.is(server.requests, 6, 'no probe after the call');
});

test('an answer that passes between failures starts the count again', async (t) => {
  const answers = [500, 500, 200, 503, 500, 302, 500, 500, 500];
  const server = await serve((n, res) => status(answers[n] ?? 200)(res));
  t.teardown(() => server.close());
  const { calls } = watch(t, server.port);
  await until('the unhealthy call', () => calls.length > 0, { timeoutMs: 20_000 });
  t.deepEqual(calls, [{ failures: 3, why: 'GET /health: HTTP 500' }]);
  t.is(server.requests, answers.length, 'only the last three failures were in a row (3xx passes)');
});

test('stop() ends probing, also while an answer is awaited', async (t) => {
  let dropped!: () => void;
  const closed = new Promise<void>((resolve) => (dropped = resolve));
  const server = await serve((n, res) => {
    if (n < 2) status(200)(res);
    else res.on('close', () => dropped()); // never answered
  });
  t.teardown(() => server.close());
  const { calls, stop } = watch(t, server.port, { failures: 1 });
  await until('the third probe', () => server.requests === 3, { timeoutMs: 20_000 });
  stop();
  await closed; // the probe's connection goes at once, not when its 2 s are up
  await pause(INTERVAL_MS * 5);
  t.is(server.requests, 3, 'no probe after stop()');
  t.deepEqual(calls, []);
});

test('a refused connection, a hung answer and a missing text are failures, each said; a 2xx with the text passes', async (t) => {
  const gone = await serve(() => {});
  await gone.close();
  const refused = watch(t, gone.port, { failures: 2 });

  const hanging = await serve(() => {});
  t.teardown(() => hanging.close());
  const hung = watch(t, hanging.port, { failures: 1 });

  const wrong = await serve((_n, res) => status(200, 'starting')(res));
  t.teardown(() => wrong.close());
  const text = watch(t, wrong.port, { failures: 2, expect: 'all good' });

  const right = await serve((_n, res) => status(200, 'status: all good')(res));
  t.teardown(() => right.close());
  const passing = watch(t, right.port, { failures: 1, expect: 'all good' });

  // Judged by its headers: an answer that goes on and on passes (and is cut at the probe's timeout).
  const endless = await serve((_n, res) => res.writeHead(200).write('ok, and more to come'));
  t.teardown(() => endless.close());
  const streaming = watch(t, endless.port, { failures: 1 });

  await until('the three unhealthy calls and a second probe of each passing server', () => refused.calls.length && hung.calls.length && text.calls.length
    && right.requests >= 2 && endless.requests >= 2, { timeoutMs: 20_000 });
  t.deepEqual(refused.calls, [{ failures: 2, why: 'GET /health: connection refused' }]);
  t.deepEqual(hung.calls, [{ failures: 1, why: 'GET /health: no answer within 2 s' }]);
  t.deepEqual(text.calls, [{ failures: 2, why: 'GET /health: the answer does not contain "all good"' }]);
  t.deepEqual(passing.calls, []);
  t.deepEqual(streaming.calls, []);
});
