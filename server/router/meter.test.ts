// The router's request metrics: the bucket arithmetic, and the real router counting real requests
// (a backend that takes 50 ms) and reporting them to a control plane at the interval it was told.
import test from 'ava';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import type { MetricsMessage, RouteUsage } from '../agent/protocol.ts';
import { LATENCY_BUCKETS_MS, bucketIndex } from './latency-buckets.ts';
import { RequestMeter } from './meter.ts';
import { startRouter } from './router.ts';

test('every duration falls in the bucket whose bounds hold it, from under 1 ms to over a minute', (t) => {
  t.is(LATENCY_BUCKETS_MS.at(-1), Infinity);
  t.true(LATENCY_BUCKETS_MS.every((b, i) => i === 0 || b > LATENCY_BUCKETS_MS[i - 1]!), 'ascending');
  for (const ms of [0, 0.2, 1, 1.05, 1.1, 1.11, 7, 49.9, 50, 50.1, 123.4, 999, 1000, 59_999, 60_000]) {
    const i = bucketIndex(ms);
    t.true(ms <= LATENCY_BUCKETS_MS[i]!, `${ms} <= bound ${i}`);
    if (i > 0) t.true(ms > LATENCY_BUCKETS_MS[i - 1]!, `${ms} > bound ${i - 1}`);
  }
  t.is(bucketIndex(3_600_000), LATENCY_BUCKETS_MS.length - 1, 'an hour is in the last, open bucket');
  t.is(bucketIndex(Number.NaN), 0);
  // Buckets are at most 10 % wide: a percentile read from them is that close.
  const i = bucketIndex(50);
  t.true(LATENCY_BUCKETS_MS[i]! / LATENCY_BUCKETS_MS[i - 1]! <= 1.1001);
});

test('the meter counts by host and status class, and starts again from zero once taken', (t) => {
  const meter = new RequestMeter();
  meter.record('a.localhost', 200, 12, 100);
  meter.record('a.localhost', 503, 0, 0);
  meter.record('a.localhost', 0, 3, 0); // the client left before the answer: a request, no status
  meter.record('b.localhost', 404, 2, 50);
  const taken = meter.take();
  t.deepEqual(taken['a.localhost']!.statuses, [0, 1, 0, 0, 1]);
  t.is(taken['a.localhost']!.requests, 3);
  t.is(taken['a.localhost']!.bytes, 100);
  t.is(taken['a.localhost']!.latency.sumMs, 15);
  t.deepEqual(taken['a.localhost']!.latency.counts, { [bucketIndex(12)]: 1, 0: 1, [bucketIndex(3)]: 1 });
  t.deepEqual(taken['b.localhost']!.statuses, [0, 0, 0, 1, 0]);
  t.deepEqual(meter.take(), {});
});

/** The bound below which a share `q` of the counted requests finished. */
function percentileBound(usage: RouteUsage, q: number): number {
  let seen = 0;
  for (const [index, n] of Object.entries(usage.latency.counts).sort(([a], [b]) => Number(a) - Number(b))) {
    seen += n;
    if (seen >= q * usage.requests) return LATENCY_BUCKETS_MS[Number(index)]!;
  }
  return Infinity;
}

test('the router reports each routed host\'s requests, statuses, bytes and latencies at the interval the server gives', async (t) => {
  const backend = http.createServer((req, res) => setTimeout(() => res.end('x'.repeat(1000)), 50));
  backend.listen(0, '127.0.0.1');
  await once(backend, 'listening');
  t.teardown(() => backend.close());
  const port = (backend.address() as AddressInfo).port;

  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/agent' });
  await once(wss, 'listening');
  t.teardown(() => {
    for (const c of wss.clients) c.terminate();
    wss.close();
  });
  const reports: MetricsMessage[] = [];
  const connected = new Promise<WebSocket>((resolve) => wss.on('connection', (socket) => {
    socket.on('message', (data) => {
      const message = JSON.parse(String(data));
      if (message.type === 'hello') {
        socket.send(JSON.stringify({ type: 'welcome', serverId: 'test', metricsIntervalMs: 1000 }));
        socket.send(JSON.stringify({ type: 'request', reqId: 1, op: 'table', table: { version: 1, routes: { 'shop.localhost': [{ host: '127.0.0.1', port }], 'idle.localhost': [] } } }));
      } else if (message.type === 'reply') resolve(socket);
      else if (message.type === 'metrics') reports.push(message);
    });
  }));
  const router = await startRouter({ host: '127.0.0.1', port: 0, serverUrl: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/agent`, instanceId: 'r1', token: 't' });
  t.teardown(() => router.close());
  await connected;

  const seenMs: number[] = [];
  const get = (host: string) => new Promise<number>((resolve, reject) => {
    const started = performance.now();
    http.get({ host: '127.0.0.1', port: router.port, path: '/', headers: { host } }, (res) => {
      res.resume();
      res.on('end', () => {
        if (host === 'shop.localhost') seenMs.push(performance.now() - started);
        resolve(res.statusCode!);
      });
    }).on('error', reject);
  });
  for (let round = 0; round < 4; round++) t.deepEqual(await Promise.all(Array.from({ length: 10 }, () => get('shop.localhost'))), Array(10).fill(200));
  t.is(await get('idle.localhost'), 503);
  t.is(await get('unknown.example'), 404);

  const total = () => reports.reduce((sum, r) => sum + (r.routes?.['shop.localhost']?.requests ?? 0), 0);
  const deadline = Date.now() + 10_000;
  while ((total() < 40 || !reports.some((r) => r.routes?.['idle.localhost'])) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const shop = reports.map((r) => r.routes?.['shop.localhost']).filter((u): u is RouteUsage => Boolean(u));
  t.is(total(), 40);
  t.is(shop.reduce((sum, u) => sum + u.statuses[1], 0), 40);
  t.true(shop.reduce((sum, u) => sum + u.bytes, 0) >= 40 * 1000, 'bodies and headers');
  // All in one report: 40 requests of ~50 ms, well within one 1 s interval.
  const one = shop.find((u) => u.requests === 40) ?? shop[0]!;
  // The router's time is within the client's (which adds the client's side) and at least the
  // backend's 50 ms: the p50 bucket lies between, whatever the load on the test machine.
  const p50 = percentileBound(one, 0.5);
  const clientMedian = seenMs.sort((a, b) => a - b)[Math.floor(seenMs.length / 2) - 1]!;
  const below = LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.indexOf(p50) - 1]!;
  t.true(p50 >= 50 && below <= clientMedian, `p50 bucket (${below}, ${p50}] ms for a 50 ms backend; clients saw a median of ${clientMedian} ms`);
  t.true(one.latency.sumMs / one.requests >= 50);
  t.deepEqual(reports.find((r) => r.routes?.['idle.localhost'])!.routes!['idle.localhost']!.statuses, [0, 0, 0, 0, 1]);
  t.false(reports.some((r) => r.routes && 'unknown.example' in r.routes), 'hosts not in the table are not counted');
  t.true(reports.every((r) => r.intervalMs >= 900 && r.intervalMs <= 3000), reports.map((r) => r.intervalMs).join(' '));
});
