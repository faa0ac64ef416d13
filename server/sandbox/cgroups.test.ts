// Resource groups on this host's real cgroups (the tests run as root), and limits parsing. The
// cgroup v2 layout test writes into a temp dir shaped like /sys/fs/cgroup, since this host mounts
// v1: it checks which files get which values, not the kernel.
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { detectCgroups, joinCommand, ResourceGroup, sweepGroups } from './cgroups.ts';
import { confine } from './confine.ts';
import { which, type Isolation } from './isolation.ts';
import { describeLimits, parseBytes, parseLimits } from './limits.ts';
import { runConfined } from './run.ts';

const APP = { uid: 200_901, gid: 200_901 };
const uidBwrap: Isolation = { mode: 'uid', setpriv: which('setpriv'), bwrap: which('bwrap'), summary: '' };
const real = detectCgroups(process.getuid?.() === 0);

test('limits: sizes, CPUs and process counts parse, off lifts one, bad values say what to write', (t) => {
  t.is(parseBytes('512M', 'X'), 512 * 1024 ** 2);
  t.is(parseBytes('1.5GiB', 'X'), 1.5 * 1024 ** 3);
  t.is(parseBytes('off', 'X'), undefined);
  t.throws(() => parseBytes('1M', 'SCALARIUM_APP_MEMORY'), { message: /SCALARIUM_APP_MEMORY must be a size of at least 16M such as 512M or 2G, or off; got "1M"/ });
  t.throws(() => parseBytes('lots', 'X'));
  t.deepEqual(parseLimits({}, 'SCALARIUM_APP'), { memoryBytes: 1024 ** 3, cpus: 1, pids: 1024 });
  t.deepEqual(parseLimits({ SCALARIUM_BUILD_CPU: 'off', SCALARIUM_BUILD_PIDS: '64' }, 'SCALARIUM_BUILD'), { memoryBytes: 2 * 1024 ** 3, pids: 64 });
  t.throws(() => parseLimits({ SCALARIUM_APP_CPU: '-1' }, 'SCALARIUM_APP'), { message: /SCALARIUM_APP_CPU must be a number of CPUs/ });
  t.throws(() => parseLimits({ SCALARIUM_APP_PIDS: '2' }, 'SCALARIUM_APP'), { message: /SCALARIUM_APP_PIDS must be a number of processes of at least 8/ });
  t.is(describeLimits({ memoryBytes: 160 * 1024 ** 2, cpus: 0.5 }), 'memory 160 MiB, 0.5 CPU, processes unlimited');
});

test('not root: nothing is limited, and it says so', (t) => {
  t.deepEqual(detectCgroups(false), { summary: 'not enforced: only root can set cgroup limits' });
});

test('a cgroup v2 layout gets memory.max, swap off, cpu.max and pids.max, handed down from scalarium/', async (t) => {
  const fake = fs.mkdtempSync(path.join(os.tmpdir(), 'scalarium-fake-cgroup2-'));
  t.teardown(() => fs.rmSync(fake, { recursive: true, force: true }));
  fs.writeFileSync(path.join(fake, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
  const found = detectCgroups(true, fake);
  t.is(found.summary, 'enforced with cgroup v2 (memory, cpu, pids)');
  t.is(fs.readFileSync(path.join(fake, 'scalarium', 'cgroup.subtree_control'), 'utf8'), '+memory +cpu +pids');
  // A real kernel fills a new group with its files; the fake has none, so swap (absent) is skipped.
  const dir = path.join(fake, 'scalarium', 'g1');
  const group = await ResourceGroup.create(found.host!, 'g1', { memoryBytes: 64 * 1024 ** 2, cpus: 0.5, pids: 32 });
  t.false(fs.existsSync(path.join(dir, 'memory.swap.max')));
  t.is(fs.readFileSync(path.join(dir, 'memory.max'), 'utf8'), String(64 * 1024 ** 2));
  t.is(fs.readFileSync(path.join(dir, 'cpu.max'), 'utf8'), '50000 100000');
  t.is(fs.readFileSync(path.join(dir, 'pids.max'), 'utf8'), '32');
  t.deepEqual(group.procsFiles, [path.join(dir, 'cgroup.procs')]);
  fs.writeFileSync(path.join(dir, 'memory.events'), 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n');
  t.is(group.oomKills(), 1);
  await t.throwsAsync(ResourceGroup.create(found.host!, '../escape', {}), { message: /not usable/ });
});

test('the join line puts the command into the group before it runs, whatever the arguments say', async (t) => {
  if (!real.host) return t.pass(`no cgroups here: ${real.summary}`);
  const group = await ResourceGroup.create(real.host, 'test-join', { pids: 16 });
  t.teardown(() => group.remove());
  const argv = joinCommand(group.procsFiles, ['/bin/sh', '-c', 'cat /proc/self/cgroup; echo "$0 $1"', '--', '$(id)']);
  const run = await runConfined({ file: argv[0]!, args: argv.slice(1), cwd: '/' }, { PATH: '/usr/bin:/bin' }, { timeoutMs: 10_000 });
  t.is(run.code, 0, run.stderr);
  t.regex(run.stdout, /pids:\/.*scalarium\/test-join/);
  t.regex(run.stdout, /-- \$\(id\)\n$/);
});

test('a confined command on the real cgroups cannot fork past its limit nor outgrow its memory; removal kills what it left', async (t) => {
  if (!real.host) return t.pass(`no cgroups here: ${real.summary}`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'scalarium-cgroup-'));
  fs.chmodSync(work, 0o777);
  t.teardown(() => fs.rmSync(work, { recursive: true, force: true }));
  const group = await ResourceGroup.create(real.host, 'test-limits', { memoryBytes: 48 * 1024 ** 2, pids: 12 });
  t.teardown(() => group.remove());
  const cmd = (script: string) => confine(uidBwrap, { user: APP, writable: [work], cwd: work, cgroupProcs: group.procsFiles }, ['/bin/sh', '-c', script]);
  const env = { PATH: '/usr/bin:/bin' };

  const forks = await runConfined(cmd(`for i in ${'x '.repeat(30)}; do sleep 30 & done; echo all started`), env, { timeoutMs: 20_000 });
  t.regex(forks.output, /Cannot fork/, 'the shell was refused more processes');
  t.notRegex(forks.output, /all started/);

  const hog = await runConfined(cmd(`exec ${process.execPath} -e 'const a = []; for (;;) a.push(Buffer.alloc(8 << 20, 1))'`), env, { timeoutMs: 20_000 });
  t.true(hog.code === 137 || hog.code === null, `killed by SIGKILL (bwrap reports it as 137), got ${hog.code}`);
  t.true(group.oomKills() >= 1);

  // Something that escaped its process group (setsid; without bubblewrap, whose pid namespace
  // would take it down) still sits in the group: removal kills it.
  const uidOnly: Isolation = { mode: 'uid', setpriv: uidBwrap.setpriv, summary: '' };
  const bare = (script: string) => confine(uidOnly, { user: APP, writable: [work], cwd: work, cgroupProcs: group.procsFiles }, ['/bin/sh', '-c', script]);
  await runConfined(bare('setsid sleep 300 >/dev/null 2>&1 < /dev/null & sleep 0.5; echo started'), env, { timeoutMs: 10_000 });
  const members = () => fs.readFileSync(group.procsFiles[0]!, 'utf8').trim().split('\n').filter(Boolean).map(Number);
  t.true(members().length >= 1, 'the escaped sleep is counted');
  const escaped = members();
  await group.remove();
  const state = (pid: number) => /^\d+ \(.*\) (\S)/.exec(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
  // Gone, or dead and waiting for its (new) parent to reap it.
  for (const pid of escaped) t.true(!fs.existsSync(`/proc/${pid}`) || state(pid) === 'Z', `pid ${pid} is gone`);
  t.false(fs.existsSync(path.dirname(group.procsFiles[0]!)));
});

test('sweepGroups removes the groups of one prefix only', async (t) => {
  if (!real.host) return t.pass(`no cgroups here: ${real.summary}`);
  const mine = await ResourceGroup.create(real.host, 'agent1.web', {});
  const other = await ResourceGroup.create(real.host, 'agent2.web', {});
  t.teardown(() => other.remove());
  await sweepGroups(real.host, 'agent1');
  t.false(fs.existsSync(path.dirname(mine.procsFiles[0]!)));
  t.true(fs.existsSync(path.dirname(other.procsFiles[0]!)));
});
