// What the router's request metrics cost: the same router code with counting on and off, each
// proxying to one local backend, measured with autocannon in alternating rounds (so both see the
// same machine). Prints requests/s and latencies per round and the overhead; no thresholds.
//
//   node --import tsx bench/router-metrics.ts [--duration 5] [--connections 50] [--rounds 3]
import autocannon from 'autocannon';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { startRouter, type RunningRouter } from '../server/router/router.ts';
import { fmt, intArg, isMain, load, machine, median, printTable, sleep } from './lib.ts';

const HOST = 'bench.localhost';

async function run(url: string, duration: number, connections: number) {
  const result = await autocannon({ url, duration, connections, headers: { host: HOST } });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx };
}

export async function routerMetricsBench(options: { duration: number; connections: number; rounds: number }): Promise<void> {
  console.log(`\n== router metrics: counting on vs off, autocannon ${options.duration} s × ${options.rounds} rounds, ${options.connections} connections ==`);
  console.log(`machine: ${machine()}`);
  console.log(`load average before: ${load()}`);
  const backend = http.createServer((_req, res) => res.end('hello from v1'));
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scalarium-bench-router-'));
  const routers: Record<'on' | 'off', RunningRouter | undefined> = { on: undefined, off: undefined };
  try {
    for (const mode of ['on', 'off'] as const) {
      // A stored table: the router serves it without a control plane.
      const statePath = path.join(dir, `${mode}.json`);
      fs.writeFileSync(statePath, JSON.stringify({ version: 1, routes: { [HOST]: [{ host: '127.0.0.1', port: (backend.address() as AddressInfo).port }] } }));
      routers[mode] = await startRouter({ host: '127.0.0.1', port: 0, statePath, metrics: mode === 'on' });
    }
    for (const mode of ['on', 'off', 'on', 'off'] as const) await run(routers[mode]!.url, 3, options.connections); // warm-up: JIT, sockets
    const results: Record<'on' | 'off', Array<Awaited<ReturnType<typeof run>>>> = { on: [], off: [] };
    const rows: Array<Array<string | number>> = [['round', 'metrics', 'req/s', 'p50 ms', 'p99 ms', 'errors']];
    for (let round = 1; round <= options.rounds; round++) {
      // Alternate which goes first, so a drift of the machine does not favour one.
      for (const mode of round % 2 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
        const r = await run(routers[mode]!.url, options.duration, options.connections);
        results[mode].push(r);
        rows.push([round, mode, fmt(r.rps), r.p50, r.p99, r.errors]);
        await sleep(500);
      }
    }
    printTable(rows);
    const on = median(results.on.map((r) => r.rps));
    const off = median(results.off.map((r) => r.rps));
    // Rounds drift together on a shared machine: the cost is read from each round's pair.
    const costs = results.on.map((r, i) => ((results.off[i]!.rps - r.rps) / results.off[i]!.rps) * 100);
    console.log(`median req/s: metrics on ${fmt(on)}, off ${fmt(off)}`);
    console.log(`cost of counting per round: ${costs.map((c) => `${fmt(c, 1)} %`).join(', ')}; median ${fmt(median(costs), 1)} % of throughput (goal: at most 5 %)`);
  } finally {
    for (const router of Object.values(routers)) await router?.close();
    backend.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) {
  const argv = process.argv.slice(2);
  await routerMetricsBench({ duration: intArg(argv, 'duration', 5), connections: intArg(argv, 'connections', 50), rounds: intArg(argv, 'rounds', 3) });
}
