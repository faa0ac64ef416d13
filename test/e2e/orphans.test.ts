// No orphaned app processes (issue 9, item 11): an agent killed -9 leaves its app processes
// running, reparented to init. Its next life must end them before the server starts the formation
// again, so that exactly the wanted processes run; and an instance whose agent is dead when it is
// scaled away, or stopped with stop-instances, must leave nothing behind either — no process, no
// cgroup, no loopback firewall chain. Real server, real agents, real /proc.
import test from 'ava';
import { until as waitUntil } from '../helpers/until.ts';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT, startTestServer, type TestServer } from '../helpers/server.ts';
import { authedGitUrl, createAppRepo } from '../helpers/app-repo.ts';
import { getViaRouter } from '../helpers/router-client.ts';
import { agentGroupPrefix, detectCgroups } from '../../server/sandbox/cgroups.ts';
import { isRunning } from '../../server/agent/process-records.ts';

const run = promisify(execFile);
const APP = 'orphans';
const HOST = `${APP}.localhost`;
let server: TestServer;

test.before(async () => {
  // No periodic pass: the test itself decides when an instance is relaunched (by a scale request).
  server = await startTestServer({ env: { SCALARIUM_RECONCILE_INTERVAL: '3600' } });
});
test.after.always(async () => {
  await server?.cleanup();
});

interface Ps { id: string; instance: string; state: string; type: string }

const ps = async (): Promise<Ps[]> => (await server.api('GET', `/api/apps/${APP}/ps`)).body;
const instanceDir = (id: string) => path.join(server.dataDir, 'instances', id);
const agentPid = (id: string) => Number(fs.readFileSync(path.join(instanceDir(id), 'pid'), 'utf8'));

/** An end-to-end wait: the server is asked over HTTP, a few times a second. */
const until = <T>(what: string, check: () => Promise<T>, timeoutMs = 60_000) => waitUntil(what, check, { timeoutMs, everyMs: 200 });

/**
 * Every live process (zombies aside) of this server's apps, by instance: found by working directory
 * (an app runs in its release folder, <apps dir>/instances/<instance>/<app>/…), with its process
 * group — one per app process the agent started.
 */
function appProcesses(): Map<string, Array<{ pid: number; pgid: number }>> {
  const root = `${path.join(server.appsDir, 'instances')}/`;
  const found = new Map<string, Array<{ pid: number; pgid: number }>>();
  for (const name of fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    const pid = Number(name);
    let cwd: string;
    let stat: string;
    try {
      cwd = fs.readlinkSync(`/proc/${pid}/cwd`);
      stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    if (!cwd.startsWith(root) || !isRunning(pid)) continue;
    const instance = cwd.slice(root.length).split('/')[0]!;
    const pgid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
    found.set(instance, [...(found.get(instance) ?? []), { pid, pgid }]);
  }
  return found;
}

const groupsOn = (instance: string) => new Set((appProcesses().get(instance) ?? []).map((p) => p.pgid));
const countBy = (rows: Ps[], instance: string) => rows.filter((p) => p.instance === instance).length;

/** The cgroups and loopback chain an instance's agent made (named after its directory): none may be left. */
async function hostResourcesOf(id: string): Promise<string[]> {
  const prefix = agentGroupPrefix(instanceDir(id));
  const left: string[] = [];
  const { host } = detectCgroups(process.getuid?.() === 0);
  for (const h of host?.hierarchies ?? []) {
    for (const name of fs.readdirSync(h.dir)) if (name.startsWith(`${prefix}.`)) left.push(path.join(h.dir, name));
  }
  if (process.getuid?.() === 0) {
    const rules = await run('iptables', ['-w', '5', '-S'], { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } }).then((r) => r.stdout, () => '');
    if (rules.includes(`SCALARIUM-${prefix}`.slice(0, 28))) left.push(`iptables chain SCALARIUM-${prefix}`);
  }
  return left;
}

test.serial('an agent killed -9 leaves no orphan: its next life ends them, scale-down and stop-instances leave nothing', async (t) => {
  const repo = await createAppRepo('node-hello');
  t.teardown(() => repo.cleanup());
  t.is((await server.api('POST', '/api/apps', { name: APP })).status, 201);
  const push = await repo.push(authedGitUrl(server.url, APP, server.token));
  t.is(push.code, 0, push.output);
  t.is((await server.api('PATCH', '/api/clusters/local/roles', { app: 2 })).status, 200);
  t.is((await server.api('PATCH', `/api/apps/${APP}/formation`, { web: 4 })).status, 200);
  let rows = await until('4 ready web processes', async () => {
    const now = await ps();
    return now.length === 4 && now.every((p) => p.state === 'ready') && now;
  });
  const onSecond = countBy(rows, 'local-app-2');
  t.true(onSecond > 0, JSON.stringify(rows));
  t.is(groupsOn('local-app-2').size, onSecond, 'one process group per app process');

  // kill -9 the second agent: its app processes live on, untracked.
  const firstLife = groupsOn('local-app-2');
  const deadAgent = agentPid('local-app-2');
  process.kill(deadAgent, 'SIGKILL');
  await until('the agent to die', async () => !isRunning(deadAgent));
  t.deepEqual(groupsOn('local-app-2'), firstLife, 'the orphans are still running');

  // The scale request finds the agent dead and starts it again; its new life ends the orphans and
  // the server starts the missing processes through it.
  t.is((await server.api('PATCH', '/api/clusters/local/roles', { app: 2 })).status, 200);
  t.not(agentPid('local-app-2'), deadAgent);
  rows = await until('the formation to be whole again', async () => {
    const now = await ps();
    return now.length === 4 && now.every((p) => p.state === 'ready') && countBy(now, 'local-app-2') > 0 && now;
  });
  const secondLife = groupsOn('local-app-2');
  t.deepEqual([...firstLife].filter((g) => secondLife.has(g)), [], 'no process of the first life is left');
  t.is(secondLife.size, countBy(rows, 'local-app-2'), `exactly the wanted processes: ${JSON.stringify(rows)}`);
  t.is(groupsOn('local-app-1').size, countBy(rows, 'local-app-1'));
  t.is((await getViaRouter(server.routerPort, HOST)).body, 'hello from v1');
  const output = fs.readFileSync(path.join(instanceDir('local-app-2'), 'output.log'), 'utf8');
  t.regex(output, /ended \d+ app process\(es\) an earlier life of this agent left running/);

  // Killed -9 again, then scaled away while dead: its processes go with the instance.
  const secondAgent = agentPid('local-app-2');
  process.kill(secondAgent, 'SIGKILL');
  await until('the agent to die', async () => !isRunning(secondAgent));
  t.true(groupsOn('local-app-2').size > 0);
  t.is((await server.api('PATCH', '/api/clusters/local/roles', { app: 1 })).status, 200);
  t.is(groupsOn('local-app-2').size, 0, 'nothing of the scaled-away instance runs');
  t.deepEqual(await hostResourcesOf('local-app-2'), []);
  rows = await until('every process on the remaining instance', async () => {
    const now = await ps();
    return now.length === 4 && now.every((p) => p.state === 'ready' && p.instance === 'local-app-1') && now;
  });
  t.is(groupsOn('local-app-1').size, 4);
  t.is((await getViaRouter(server.routerPort, HOST)).body, 'hello from v1');

  // stop-instances (also with the agent killed -9 first) leaves no app process, cgroup or chain.
  process.kill(agentPid('local-app-1'), 'SIGKILL');
  await server.stop();
  await run(process.execPath, [path.join(ROOT, 'bin', 'scalarium-server.js'), 'stop-instances'], {
    env: { ...process.env, SCALARIUM_DATA_DIR: server.dataDir },
  });
  t.deepEqual([...appProcesses().keys()], [], 'no app process at all');
  t.deepEqual(await hostResourcesOf('local-app-1'), []);
});
