// The accounting plugin's accountant and store (plugins/accounting) on SQLite: what a pass costs
// with many instances and processes running (every hook that changes what runs asks for one; the
// heartbeat timer makes one every 30 s), what a heartbeat costs (one UPDATE), what a crash
// recovery costs, and what a month's report costs once a month of restarts has piled up intervals.
// Prints figures; no thresholds.
//
//   node --import tsx bench/accounting.ts [--instances 100] [--processes 2000] [--churn 100] [--passes 20]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../server/db/knex.ts';
import { migrationSource } from '../server/db/migrations/index.ts';
import * as usage from '../plugins/accounting/migrations/001-usage.ts';
import { Accountant } from '../plugins/accounting/accountant.ts';
import { AccountingClock, type ClockSources } from '../plugins/accounting/clock.ts';
import { IntervalStore, type Subject } from '../plugins/accounting/store.ts';
import { buildReport } from '../plugins/accounting/report.ts';
import { priceTable } from '../plugins/accounting/prices.ts';
import { fmt, intArg, isMain, load, machine, onCleanup, printTable, runCleanups, stats } from './lib.ts';

export interface AccountingBenchOptions { instances: number; processes: number; churn: number; passes: number }

const subjectsOf = (instances: number, processes: number, generation: number): Subject[] => [
  ...Array.from({ length: instances }, (_, i): Subject => ({ kind: 'instance', id: `i-${i}`, clusterId: 1, cluster: 'prod', instanceId: `i-${i}`, role: 'app', instanceType: 't3.micro' })),
  ...Array.from({ length: processes }, (_, p): Subject => ({
    kind: 'process', id: `p-${p}-${generation}`, clusterId: 1, cluster: 'prod', instanceId: `i-${p % instances}`,
    appId: p % 200, app: `app-${p % 200}`, processType: 'web', size: 'standard', owner: 'admin',
  })),
];

export async function accountingBench(options: AccountingBenchOptions): Promise<void> {
  console.log(`machine: ${machine()}`);
  console.log(`load average before: ${load()}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scalarium-bench-usage-'));
  const db = await openDatabase(dir, '');
  const close = onCleanup(async () => {
    await db.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  try {
    await db.migrate.latest({ migrationSource: migrationSource([['001-usage', usage]]), tableName: 'knex_migrations_accounting' });
    let mono = 0;
    const sources: ClockSources = { wall: () => Date.UTC(2026, 10, 1) + mono, monotonic: () => mono };
    let live = subjectsOf(options.instances, options.processes, 0);
    const store = new IntervalStore(db, 'bench');
    const make = () => new Accountant({ store, clock: new AccountingClock(sources), live: async () => live, heartbeatMs: 3_600_000, onError: (e) => { throw e; } });
    const accountant = make();
    await accountant.start();
    const time = async (fn: () => Promise<unknown>) => {
      const t = performance.now();
      await fn();
      return performance.now() - t;
    };
    const rows: Array<Array<string | number>> = [['step', 'median ms', 'min ms', 'max ms', 'n']];
    const row = (name: string, ms: number[]) => {
      const s = stats(ms);
      rows.push([name, fmt(s.median, 1), fmt(s.min, 1), fmt(s.max, 1), s.n]);
    };
    row(`first pass: open ${live.length} intervals`, [await time(() => accountant.pass())]);
    const quiet: number[] = [];
    const beats: number[] = [];
    const churned: number[] = [];
    for (let i = 0; i < options.passes; i++) {
      mono += 1000;
      quiet.push(await time(() => accountant.pass()));
      mono += 1000;
      beats.push(await time(() => accountant.pass(true)));
      // A deploy of some apps: `churn` processes replaced.
      const every = Math.max(1, Math.floor(options.processes / options.churn));
      live = live.map((s, n) => (s.kind === 'process' && n % every === 0 ? { ...s, id: `${s.id}-r${i}` } : s));
      mono += 1000;
      churned.push(await time(() => accountant.pass()));
    }
    row('pass, nothing changed', quiet);
    row('pass + heartbeat (one UPDATE)', beats);
    row(`pass, ~${options.churn} processes replaced`, churned);

    // A month of server restarts: every open interval closed at its heartbeat and reopened, 60 times.
    const restarts: number[] = [];
    for (let r = 0; r < 60; r++) {
      mono += 12 * 3_600_000;
      const again = make();
      restarts.push(await time(() => again.start()));
      await again.pass();
    }
    row(`restart: close ${live.length} at their heartbeat`, restarts);
    const [{ n }] = await db('usage_intervals').count({ n: '*' });
    const reports: number[] = [];
    for (let i = 0; i < 5; i++) {
      reports.push(await time(async () => buildReport({
        month: '2026-11', by: 'app', now: Date.UTC(2026, 10, 1) + mono, intervals: await store.overlapping(Date.UTC(2026, 10, 1), Date.UTC(2026, 11, 1)),
        prices: await priceTable(db, '2026-11'), visible: { app: async () => true, cluster: async () => true, appGone: () => false, clusterGone: () => false },
      })));
    }
    row(`month report by app over ${n} intervals`, reports);
    printTable(rows);
    console.log(`\ndatabase: ${fmt(fs.statSync(path.join(dir, 'scalarium.sqlite')).size / 1024 / 1024, 1)} MiB (plus WAL)`);
  } finally {
    await close();
  }
  console.log(`load average after: ${load()}`);
}

if (isMain(import.meta.url)) {
  try {
    const argv = process.argv.slice(2);
    await accountingBench({ instances: intArg(argv, 'instances', 100), processes: intArg(argv, 'processes', 2000), churn: intArg(argv, 'churn', 100), passes: intArg(argv, 'passes', 20) });
    process.exit(0);
  } catch (error) {
    console.error((error as Error).stack ?? String(error));
    await runCleanups();
    process.exit(1);
  }
}
