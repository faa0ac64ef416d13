// The records an agent keeps of its app processes: a recorded process group is ended (children
// included, even after its leader exited), and a record whose pid now names another process (a
// different start time) leaves that process alone. Real processes, real /proc.
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { endRecorded, isRunning, liveMembers, readRecords, startTimeOf, writeRecords, type ProcessRecord } from './process-records.ts';

const started: ChildProcess[] = [];
test.after.always(() => {
  for (const child of started) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // ended by the test
    }
  }
});

/** A detached shell (a process group of its own) that starts a child and prints the child's pid. */
async function groupWithChild(script = 'sleep 600 & echo $!; wait'): Promise<{ leader: ChildProcess; childPid: number; record: ProcessRecord }> {
  const leader = spawn('/bin/sh', ['-c', script], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
  started.push(leader);
  // Read at once, as the supervisor does: the leader may exit soon.
  const record = { id: 'web-1', app: 'shop', pid: leader.pid!, startTime: startTimeOf(leader.pid!)! };
  const childPid = await new Promise<number>((resolve) => leader.stdout!.once('data', (chunk: Buffer) => resolve(Number(String(chunk).trim()))));
  return { leader, childPid, record };
}

test('records survive a write and a read, and broken files read as none', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scalarium-records-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const records = [{ id: 'web-1', app: 'shop', pid: 4242, startTime: 123 }];
  writeRecords(dir, records);
  t.deepEqual(readRecords(dir), records);
  t.is(fs.readFileSync(path.join(dir, 'app-pids'), 'utf8'), '4242');
  t.is(fs.statSync(path.join(dir, 'app-processes.json')).mode & 0o777, 0o600);
  fs.writeFileSync(path.join(dir, 'app-processes.json'), '[{"id":"x","app":"y","pid":1,"startTime":0}, {"pid":"7"}]');
  t.deepEqual(readRecords(dir), [], 'pid 1 and malformed entries are never taken');
  fs.writeFileSync(path.join(dir, 'app-processes.json'), 'not json');
  t.deepEqual(readRecords(dir), []);
});

test('a recorded group is ended with everything in it, also once its leader has exited', async (t) => {
  const { leader, childPid, record } = await groupWithChild();
  t.deepEqual(liveMembers(record).sort(), [leader.pid!, childPid].sort());
  const ended = await endRecorded([record], 2000);
  t.deepEqual(ended, [record]);
  t.false(isRunning(childPid));
  t.deepEqual(liveMembers(record), []);

  // A leader that exited and left a child behind in its group: the child still goes.
  const orphaning = await groupWithChild('sleep 600 & echo $!');
  await new Promise((resolve) => orphaning.leader.once('exit', resolve));
  t.true(isRunning(orphaning.childPid));
  t.false(isRunning(orphaning.leader.pid!));
  t.deepEqual(liveMembers(orphaning.record), [orphaning.childPid]);
  await endRecorded([orphaning.record], 2000);
  t.false(isRunning(orphaning.childPid));
});

test('a record whose pid now names another process (another start time) leaves it alone', async (t) => {
  const { leader, childPid, record } = await groupWithChild();
  const stale: ProcessRecord = { ...record, startTime: record.startTime - 1 };
  t.deepEqual(liveMembers(stale), []);
  t.deepEqual(await endRecorded([stale], 500), []);
  t.true(isRunning(leader.pid!));
  t.true(isRunning(childPid));
});

test('SIGTERM first: a process that ends on it gets no SIGKILL; one that ignores it is killed after the grace', async (t) => {
  const polite = await groupWithChild("trap 'echo bye; exit 0' TERM; echo $$; while :; do sleep 0.1; done");
  const politeRecord = polite.record;
  const exited = new Promise<NodeJS.Signals | null>((resolve) => polite.leader.once('exit', (_code, signal) => resolve(signal)));
  await endRecorded([politeRecord], 5000);
  t.is(await exited, null, 'it exited by itself on SIGTERM');

  const stubborn = await groupWithChild("trap '' TERM; echo $$; while :; do sleep 0.1; done");
  const stubbornRecord = stubborn.record;
  const killed = new Promise<NodeJS.Signals | null>((resolve) => stubborn.leader.once('exit', (_code, signal) => resolve(signal)));
  await endRecorded([stubbornRecord], 300);
  t.is(await killed, 'SIGKILL');
});
