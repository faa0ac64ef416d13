// The agent's usage sampler against real processes: a process group whose child burns a core and
// holds ~64 MiB, and the instance's own figures.
import test from 'ava';
import { spawn } from 'node:child_process';
import os from 'node:os';
import { startTimeOf } from './process-records.ts';
import { UsageSampler } from './usage.ts';

test('a process group\'s CPU (its children included) and resident memory; the instance\'s load, CPU, memory and disk', async (t) => {
  // The leader is a shell; the work happens in its child, as with `npm start`.
  const script = 'const b = Buffer.alloc(64 * 1024 * 1024, 1); let x = 0; for (;;) { x += b[x % b.length]; }';
  const leader = spawn('sh', ['-c', `${JSON.stringify(process.execPath)} -e ${JSON.stringify(script)}`], { detached: true, stdio: 'ignore' });
  t.teardown(() => {
    try {
      process.kill(-leader.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  });
  await new Promise((r) => setTimeout(r, 300));
  const sampler = new UsageSampler(os.tmpdir());
  const processes = [{ id: 'web.1', app: 'shop', type: 'web', pid: leader.pid!, startTime: startTimeOf(leader.pid!)! }];
  const first = sampler.sample(processes);
  t.is(first.processes[0]!.cpuPercent, undefined, 'no interval yet');
  await new Promise((r) => setTimeout(r, 1500));
  const second = sampler.sample(processes);
  const usage = second.processes[0]!;
  t.like(usage, { id: 'web.1', app: 'shop', type: 'web' });
  // Up to one core; less when the host is busy (CI runs two test files at once on two cores).
  t.true(usage.cpuPercent! > 20 && usage.cpuPercent! < 130, `a busy loop in the child is counted: ${usage.cpuPercent} %`);
  t.true(usage.rssBytes > 64 * 1024 * 1024, `the 64 MiB buffer is resident: ${usage.rssBytes}`);

  const { instance } = second;
  t.is(instance.cpus, os.cpus().length);
  t.true(instance.cpuPercent > 0 && instance.cpuPercent <= 100, String(instance.cpuPercent));
  t.true(instance.memoryUsedBytes > 0 && instance.memoryUsedBytes < instance.memoryTotalBytes);
  t.true(instance.diskTotalBytes! > 0 && instance.diskUsedBytes! <= instance.diskTotalBytes!);
  t.true(instance.load1 >= 0);

  // A group that is gone is reported with nothing in use, not an error.
  process.kill(-leader.pid!, 'SIGKILL');
  await new Promise((r) => setTimeout(r, 200));
  const after = sampler.sample(processes).processes[0]!;
  t.is(after.rssBytes, 0);
});
