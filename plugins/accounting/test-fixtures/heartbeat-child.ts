// A child process for recovery.test.ts: the real Accountant and IntervalStore on a real SQLite file,
// driven line by line on stdin so the test knows exactly what was stored before it kills this
// process with SIGKILL. Lines: "run <kind> <id>" (the subject runs from now), "stop <kind> <id>",
// "beat" (a pass that renews the heartbeats). After each, one line on stdout: "done <ms>", the
// heartbeat stored by the last beat. Not a test (ava runs *.test.ts only).
import readline from 'node:readline';
import knexFactory from 'knex';
import { Accountant } from '../accountant.ts';
import { AccountingClock } from '../clock.ts';
import { IntervalStore, type Subject } from '../store.ts';

const [file, serverId] = process.argv.slice(2) as [string, string];
const db = knexFactory({ client: 'sqlite3', connection: { filename: file }, useNullAsDefault: true, pool: { min: 1, max: 1 } });
const running = new Map<string, Subject>();
let heartbeat = 0;
const accountant = new Accountant({
  store: new IntervalStore(db, serverId),
  clock: new AccountingClock(),
  live: async () => [...running.values()],
  heartbeatMs: 3_600_000, // the test says when
  onError: (error) => process.stderr.write(`${error.stack}\n`),
  onHeartbeat: (ms) => void (heartbeat = ms),
});

await db.raw('PRAGMA journal_mode = WAL');
await accountant.start();
process.stdout.write('ready\n');
for await (const line of readline.createInterface({ input: process.stdin })) {
  const [verb, kind, id] = line.trim().split(' ') as [string, 'instance' | 'process', string];
  if (verb === 'run') running.set(`${kind}:${id}`, { kind, id, clusterId: 1, cluster: 'local', instanceId: kind === 'instance' ? id : 'i-1', role: 'app', instanceType: 't3.micro', ...(kind === 'process' ? { appId: 1, app: 'shop', processType: 'web', size: 'standard', owner: 'admin' } : {}) });
  if (verb === 'stop') running.delete(`${kind}:${id}`);
  await accountant.pass(verb === 'beat');
  process.stdout.write(`done ${heartbeat}\n`);
}
