// What the router's request metrics and access logs cost: the same router code with nothing on,
// with counting on, and with counting and access logs on (batches sent to a stand-in control plane
// over the real agent protocol, which counts the entries it gets), each proxying to one local
// backend, measured with autocannon in rotating rounds (so all see the same machine). Prints
// requests/s and latencies per round and the overheads; no thresholds.
//
//   node --import tsx bench/router-metrics.ts [--duration 5] [--connections 50] [--rounds 3]
import autocannon from 'autocannon';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { startRouter, type RunningRouter } from '../server/router/router.ts';
import { fmt, intArg, isMain, load, machine, median, printTable, sleep } from './lib.ts';

const HOST = 'bench.localhost';

async function run(url: string, duration: number, connections: number) {
  const result = await autocannon({ url, duration, connections, headers: { host: HOST } });
  return { rps: result.requests.average, total: result.requests.total, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx };
}

const MODES = ['off', 'metrics', 'metrics+logs'] as const;
type Mode = (typeof MODES)[number];

/** A stand-in for the control plane's /agent endpoint: takes the router's connection and counts the access entries it sends. */
async function countingControlPlane(): Promise<{ url: string; entries: () => number; close: () => Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  let entries = 0;
  wss.on('connection', (ws) => ws.on('message', (data) => {
    const message = JSON.parse(String(data)) as { type?: string; access?: unknown[] };
    if (message.type === 'log' && Array.isArray(message.access)) entries += message.access.length;
  }));
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/agent`,
    entries: () => entries,
    close: () => new Promise<void>((resolve) => {
      for (const client of wss.clients) client.terminate();
      wss.close(() => resolve());
    }),
  };
}

export async function routerMetricsBench(options: { duration: number; connections: number; rounds: number }): Promise<void> {
  console.log(`\n== router metrics and access logs: off vs metrics vs metrics+logs, autocannon ${options.duration} s × ${options.rounds} rounds, ${options.connections} connections ==`);
  console.log(`machine: ${machine()}`);
  console.log(`load average before: ${load()}`);
  const backend = http.createServer((_req, res) => res.end('hello from v1'));
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  const controlPlane = await countingControlPlane();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scalarium-bench-router-'));
  const routers: Partial<Record<Mode, RunningRouter>> = {};
  try {
    for (const mode of MODES) {
      // A stored table: the router serves it without a control plane sending one.
      const statePath = path.join(dir, `${mode}.json`);
      fs.writeFileSync(statePath, JSON.stringify({ version: 1, routes: { [HOST]: [{ host: '127.0.0.1', port: (backend.address() as AddressInfo).port }] } }));
      routers[mode] = await startRouter({
        host: '127.0.0.1', port: 0, statePath, metrics: mode !== 'off',
        // Only this one connects (access entries go out through the connection), and only it logs.
        ...(mode === 'metrics+logs' ? { serverUrl: controlPlane.url, instanceId: 'bench-router', token: 'bench' } : { accessLogs: false }),
      });
    }
    for (const mode of [...MODES, ...MODES]) await run(routers[mode]!.url, 3, options.connections); // warm-up: JIT, sockets
    const results = Object.fromEntries(MODES.map((m) => [m, [] as Array<Awaited<ReturnType<typeof run>>>])) as Record<Mode, Array<Awaited<ReturnType<typeof run>>>>;
    const rows: Array<Array<string | number>> = [['round', 'mode', 'req/s', 'p50 ms', 'p99 ms', 'errors']];
    await sleep(500); // the warm-up's last batch (sent every 250 ms)
    const entriesBefore = controlPlane.entries();
    let loggedRequests = 0;
    for (let round = 1; round <= options.rounds; round++) {
      // Rotate which goes first, so a drift of the machine does not favour one.
      const order = MODES.map((_, i) => MODES[(i + round) % MODES.length]!);
      for (const mode of order) {
        const r = await run(routers[mode]!.url, options.duration, options.connections);
        results[mode].push(r);
        if (mode === 'metrics+logs') loggedRequests += r.total;
        rows.push([round, mode, fmt(r.rps), r.p50, r.p99, r.errors]);
        await sleep(500);
      }
    }
    printTable(rows);
    const rps = (mode: Mode) => median(results[mode].map((r) => r.rps));
    // Rounds drift together on a shared machine: a cost is read from each round's pair.
    const costs = (mode: Mode) => results[mode].map((r, i) => ((results.off[i]!.rps - r.rps) / results.off[i]!.rps) * 100);
    const said = (c: number[]) => `${c.map((v) => `${fmt(v, 1)} %`).join(', ')}; median ${fmt(median(c), 1)} %`;
    console.log(`median req/s: off ${fmt(rps('off'))}, metrics ${fmt(rps('metrics'))}, metrics+logs ${fmt(rps('metrics+logs'))}`);
    console.log(`cost of counting per round: ${said(costs('metrics'))} of throughput`);
    console.log(`cost of counting and access logs per round: ${said(costs('metrics+logs'))} of throughput (goal: at most 5 %)`);
    await sleep(500); // the last batch (sent every 250 ms)
    console.log(`access entries the control plane received: ${fmt(controlPlane.entries() - entriesBefore)} for ${fmt(loggedRequests)} requests of the logging router`);
  } finally {
    for (const router of Object.values(routers)) await router?.close();
    await controlPlane.close();
    backend.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) {
  const argv = process.argv.slice(2);
  await routerMetricsBench({ duration: intArg(argv, 'duration', 5), connections: intArg(argv, 'connections', 50), rounds: intArg(argv, 'rounds', 3) });
}
