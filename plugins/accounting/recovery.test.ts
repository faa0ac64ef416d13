// The accountant's intervals through a crash and through clock jumps, on real SQLite files.
// kill -9: a real child process (test-fixtures/heartbeat-child.ts) runs the real Accountant and
// IntervalStore, and is killed with SIGKILL between two heartbeats — what a crash leaves on disk is
// what SQLite committed, nothing the test arranges; then a new accountant starts on the same file,
// as the server does at start. The child is driven over stdin (no sleeps): the test knows which
// heartbeat was the last one stored. Clock jumps: the accountant in this process with a test clock.
import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import knexFactory, { type Knex } from 'knex';
import { up } from './migrations/001-usage.ts';
import { Accountant } from './accountant.ts';
import { AccountingClock, type ClockSources } from './clock.ts';
import { IntervalStore, type Subject } from './store.ts';

const FIXTURE = fileURLToPath(new URL('./test-fixtures/heartbeat-child.ts', import.meta.url));

async function usageDb(t: ExecutionContext): Promise<{ db: Knex; file: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scalarium-usage-'));
  const file = path.join(dir, 'usage.sqlite');
  const db = knexFactory({ client: 'sqlite3', connection: { filename: file }, useNullAsDefault: true, pool: { min: 1, max: 1 } });
  t.teardown(async () => {
    await db.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  await up(db);
  return { db, file };
}

interface Row { subject: string; started_ms: number; heartbeat_ms: number; ended_ms: number | null; end_reason: string | null; open_key: string | null }
const rows = async (db: Knex): Promise<Row[]> => (await db('usage_intervals').orderBy('id')).map((r) => ({
  subject: r.subject, started_ms: Number(r.started_ms), heartbeat_ms: Number(r.heartbeat_ms), ended_ms: r.ended_ms === null ? null : Number(r.ended_ms), end_reason: r.end_reason, open_key: r.open_key,
}));

const subject = (kind: 'instance' | 'process', id: string): Subject => ({
  kind, id, clusterId: 1, cluster: 'local', instanceId: kind === 'instance' ? id : 'i-1', role: 'app', instanceType: 't3.micro',
  ...(kind === 'process' ? { appId: 1, app: 'shop', processType: 'web', size: 'standard', owner: 'admin' } : {}),
});

/** No subject's intervals overlap, and none runs backwards. */
function assertNoOverlap(t: ExecutionContext, list: Row[]): void {
  const bySubject = new Map<string, Row[]>();
  for (const r of list) bySubject.set(r.subject, [...(bySubject.get(r.subject) ?? []), r]);
  for (const [name, intervals] of bySubject) {
    intervals.sort((a, b) => a.started_ms - b.started_ms);
    for (const [i, r] of intervals.entries()) {
      t.true(r.ended_ms === null || r.ended_ms >= r.started_ms, `${name}: an interval runs backwards`);
      const next = intervals[i + 1];
      if (next) t.true(r.ended_ms !== null && r.ended_ms <= next.started_ms, `${name}: intervals overlap`);
    }
  }
}

test('kill -9 in the middle of an interval: open intervals end at their last heartbeat, once; closed ones are untouched', async (t) => {
  const { db, file } = await usageDb(t);
  const child = spawn(process.execPath, ['--import=tsx', FIXTURE, file, 'server-a'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  t.teardown(() => void child.kill('SIGKILL'));
  const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`the child ended: ${stderr}`);
    return String(value);
  };
  const send = async (line: string) => {
    child.stdin.write(`${line}\n`);
    return Number(/^done (\d+)$/.exec(await next())?.[1]);
  };
  t.is(await next(), 'ready');
  await send('run instance i-1');
  await send('run process p-1');
  await send('run process p-2');
  const firstBeat = await send('beat');
  await send('stop process p-2');
  const lastBeat = await send('beat');
  // Someone else's open interval (another server sharing the database) is not this server's to close.
  await db('usage_intervals').insert({ kind: 'process', subject: 'p-9', open_key: 'process:p-9', server_id: 'server-b', cluster_id: 1, cluster: 'local', instance_id: 'i-9', started_ms: 1, heartbeat_ms: 2 });

  child.kill('SIGKILL');
  t.is(await exited, 'SIGKILL');
  const left = await rows(db);
  t.deepEqual(left.filter((r) => r.ended_ms === null).map((r) => r.subject), ['i-1', 'p-1', 'p-9'], 'the crash left them open');

  // The server starts again on the same database: i-1 and p-1 still run.
  const store = new IntervalStore(db, 'server-a');
  const accountant = new Accountant({ store, clock: new AccountingClock(), live: async () => [subject('instance', 'i-1'), subject('process', 'p-1')], heartbeatMs: 3_600_000, onError: (e) => t.fail(e.message) });
  t.is(await accountant.start(), 2);
  const recovered = await rows(db);
  for (const name of ['i-1', 'p-1']) {
    t.like(recovered.find((r) => r.subject === name), { ended_ms: lastBeat, end_reason: 'server restart', open_key: null }, `${name} ends at the last heartbeat`);
  }
  const p2 = recovered.find((r) => r.subject === 'p-2')!;
  t.like(p2, { end_reason: 'stopped', heartbeat_ms: p2.ended_ms }, 'a closed interval stays as it was');
  t.true(p2.ended_ms! > firstBeat && p2.ended_ms! < lastBeat, 'p-2 ended when it was stopped, between the two beats');
  t.like(recovered.find((r) => r.subject === 'p-9'), { ended_ms: null }, 'another server\'s interval stays open');

  await accountant.pass();
  const reopened = (await rows(db)).filter((r) => r.ended_ms === null && r.subject !== 'p-9');
  t.deepEqual(reopened.map((r) => r.subject), ['i-1', 'p-1'], 'what still runs has an interval again');
  t.true(reopened.every((r) => r.started_ms >= lastBeat), 'from now: the time the server was down is not counted');
  await accountant.close();
  assertNoOverlap(t, (await rows(db)).filter((r) => r.subject !== 'p-9'));
  t.is((await rows(db)).filter((r) => r.subject === 'p-1').length, 2, 'p-1: the interval before the crash and the one after, nothing twice');

  const again = new Accountant({ store, clock: new AccountingClock(), live: async () => [], heartbeatMs: 3_600_000, onError: (e) => t.fail(e.message) });
  t.is(await again.start(), 0, 'a second start finds nothing to close');
  await again.close();
});

/** A test clock: the wall clock is set by hand; the monotonic clock moves only with advance(). */
function testClock(wall: number) {
  let mono = 0;
  const sources: ClockSources = { wall: () => wall, monotonic: () => mono };
  return { sources, advance: (ms: number) => void ((mono += ms), (wall += ms)), setWall: (ms: number) => void (wall = ms) };
}

test('clock jumps in the middle of an interval: durations are what ran; a step forward splits the interval, a step back changes nothing', async (t) => {
  const { db } = await usageDb(t);
  const W = Date.UTC(2026, 10, 30, 23, 0, 0);
  const clock = testClock(W);
  let live = [subject('process', 'p-1')];
  const accountant = new Accountant({ store: new IntervalStore(db, 'a'), clock: new AccountingClock(clock.sources), live: async () => live, heartbeatMs: 3_600_000, onError: (e) => t.fail(e.message) });
  await accountant.start();
  await accountant.pass();
  clock.advance(10_000);
  clock.setWall(W + 10_000 - 2 * 3_600_000); // set back two hours
  await accountant.pass(true);
  t.like((await rows(db))[0], { started_ms: W, heartbeat_ms: W + 10_000, ended_ms: null }, 'the heartbeat does not go back with the wall clock');
  clock.advance(10_000);
  clock.setWall(W + 3 * 3_600_000); // NTP steps forward (past the month's end)
  await accountant.pass(true);
  clock.advance(10_000);
  live = [];
  await accountant.pass();
  const list = await rows(db);
  t.deepEqual(list.map((r) => [r.started_ms, r.ended_ms, r.end_reason]), [
    [W, W + 20_000, 'clock step'],
    [W + 3 * 3_600_000, W + 3 * 3_600_000 + 10_000, 'stopped'],
  ]);
  t.is(list.reduce((ms, r) => ms + r.ended_ms! - r.started_ms, 0), 30_000, 'exactly the 30 s that ran');
  assertNoOverlap(t, list);
  await accountant.close();
});

test('a restart with the wall clock set back behind the last heartbeat starts nothing before it', async (t) => {
  const { db } = await usageDb(t);
  const W = Date.UTC(2026, 10, 15, 8, 0, 0);
  const first = testClock(W);
  const live = [subject('instance', 'i-1')];
  const store = new IntervalStore(db, 'a');
  const crashed = new Accountant({ store, clock: new AccountingClock(first.sources), live: async () => live, heartbeatMs: 3_600_000, onError: (e) => t.fail(e.message) });
  await crashed.start();
  await crashed.pass();
  first.advance(45_000);
  await crashed.pass(true);
  first.advance(5_000); // runs 5 s more, then dies: never closed

  const second = testClock(W - 3_600_000); // the machine came back an hour behind
  const restarted = new Accountant({ store, clock: new AccountingClock(second.sources), live: async () => live, heartbeatMs: 3_600_000, onError: (e) => t.fail(e.message) });
  t.is(await restarted.start(), 1);
  await restarted.pass();
  second.advance(20_000);
  await restarted.close();
  const list = await rows(db);
  t.deepEqual(list.map((r) => [r.started_ms, r.ended_ms, r.end_reason]), [
    [W, W + 45_000, 'server restart'], // lost: the 5 s after the last heartbeat
    [W + 45_000, W + 65_000, 'server stopped'],
  ]);
  assertNoOverlap(t, list);
});

test('opening twice keeps one open interval; closing twice changes nothing the second time', async (t) => {
  const { db } = await usageDb(t);
  const store = new IntervalStore(db, 'a');
  await store.open([{ subject: subject('process', 'p-1'), startMs: 1000 }], 1000);
  await store.open([{ subject: subject('process', 'p-1'), startMs: 2000 }], 2000);
  const [open] = await store.openIntervals();
  t.is((await rows(db)).length, 1);
  t.is(await store.close([open!.id], 5000, 'stopped'), 1);
  t.is(await store.close([open!.id], 9000, 'stopped'), 0);
  t.like((await rows(db))[0], { started_ms: 1000, ended_ms: 5000 });
  t.is(await store.close([], 9000, 'stopped'), 0);
  await store.open([{ subject: subject('process', 'p-1'), startMs: 6000 }], 6000);
  t.is(await store.close([(await store.openIntervals())[0]!.id], 5500, 'stopped'), 1);
  t.like((await rows(db))[1], { started_ms: 6000, ended_ms: 6000 }, 'an end before the start is the start: never negative');
});
