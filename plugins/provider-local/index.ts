// The local provider: a cluster's instances are processes on this host. Each instance is one
// detached agent (and the router role runs the router process), so apps keep running while the
// server restarts; a restarted server finds them alive and adopts them.
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { spawn } from 'node:child_process';
import {
  insertInstance, listInstances, setInstanceToken, updateInstance, dataPaths, listRoles, setRoleCounts,
  shutdownInstance, waitUntilOnline, configureCluster, formatPortRange, agentGroupPrefix, detectCgroups, sweepGroups, LIMIT_VARIABLES,
  LoopbackGuard, endRecorded, readRecords, writeRecords, agentBundle, type Plugin, type Scalarium, type Provider,
  type Cluster, type Instance,
} from '../../server/plugin-api.ts';
import { closeAppPortsToNetwork } from './port-guard.ts';
import { chooseRouterPort, storedRouterPort, storeRouterPort } from './router-port.ts';
import { waitForConnection } from './boot-watch.ts';
import { lastLines } from './instance-output.ts';

const NAME = 'provider-local';
const CONNECT_TIMEOUT_MS = 30_000;

/** Without roles of its own a local cluster gets one app instance and one router. */
const DEFAULT_ROLES = [{ name: 'app', count: 1 }, { name: 'router', count: 1 }];

export function instanceDir(scalarium: Scalarium, id: string): string {
  return path.join(dataPaths(scalarium).instances, id);
}

/** True when the pid file names a live process started for this very instance directory. */
export function runningPid(dir: string): number | undefined {
  const pid = Number(fs.readFileSync(path.join(dir, 'pid'), 'utf8').trim() || NaN);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes(dir) ? pid : undefined;
  } catch {
    return undefined;
  }
}

function safeRunningPid(dir: string): number | undefined {
  try {
    return runningPid(dir);
  } catch {
    return undefined;
  }
}

async function spawnInstance(scalarium: Scalarium, instance: Pick<Instance, 'id' | 'role'>, routerPort = scalarium.config.routerPort): Promise<number> {
  const dir = instanceDir(scalarium, instance.id);
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  // The instance's own TMPDIR (tsx's compile cache lives there): /tmp is shared with the apps.
  await fsp.mkdir(path.join(dir, 'tmp'), { recursive: true, mode: 0o700 });
  const token = crypto.randomBytes(32).toString('base64url');
  await setInstanceToken(scalarium.db, instance.id, token);
  const wsUrl = `${scalarium.baseUrl.replace(/^http/, 'ws')}/agent`;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    LANG: process.env.LANG ?? 'C.UTF-8',
    SCALARIUM_SERVER_URL: wsUrl,
    SCALARIUM_INSTANCE_ID: instance.id,
    SCALARIUM_INSTANCE_TOKEN: token,
    SCALARIUM_AGENT_DIR: dir,
    TMPDIR: path.join(dir, 'tmp'),
    // The apps' folders of this instance, outside the 0700 data dir; sandboxes cover the data dir.
    SCALARIUM_APPS_DIR: path.join(scalarium.config.appsDir, 'instances', instance.id),
    SCALARIUM_HIDDEN_DIRS: scalarium.config.dataDir,
    SCALARIUM_APP_PORTS: formatPortRange(scalarium.config.appPorts),
  };
  // The operator's isolation choices reach the agents on this host too.
  for (const name of ['SCALARIUM_SANDBOX', 'SCALARIUM_INSECURE_SHARED_USER', ...LIMIT_VARIABLES]) {
    const value = process.env[name];
    if (value) env[name] = value;
  }
  if (instance.role === 'router') {
    env.SCALARIUM_ROUTER_HOST = scalarium.config.routerHost;
    env.SCALARIUM_ROUTER_PORT = String(routerPort);
    env.SCALARIUM_ROUTER_STATE = path.join(dir, 'routes.json');
  }
  // The compiled instance program EC2 instances download (agent + router, built from this server's
  // own sources at its first use): it starts in a fraction of the time tsx takes to compile the
  // TypeScript (bench/cli-start.ts). SCALARIUM_ROLE picks the router in it.
  const program = await agentBundle(path.join(scalarium.config.dataDir, 'agent-bundle'));
  const log = fs.openSync(path.join(dir, 'output.log'), 'a', 0o600);
  // `--instance-dir` is not read by the process: it marks the command line so that a later server
  // can tell this instance's process from an unrelated one that reused the pid.
  const child = spawn(process.execPath, [program.file, '--instance-dir', dir], {
    cwd: dir, env: { ...env, SCALARIUM_ROLE: instance.role }, detached: true, stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  child.unref();
  await fsp.writeFile(path.join(dir, 'pid'), String(child.pid), { mode: 0o600 });
  return child.pid!;
}

export function createLocalProvider(scalarium: Scalarium): Provider {
  return {
    name: 'local',
    async ensureInstances(cluster: Cluster): Promise<void> {
      let stored = await listRoles(scalarium.db, cluster.id);
      if (!stored.length) {
        // Record the defaults so that the cluster shows (and can scale) its roles.
        await setRoleCounts(scalarium.db, cluster.id, Object.fromEntries(DEFAULT_ROLES.map((r) => [r.name, r.count])));
        stored = await listRoles(scalarium.db, cluster.id);
      }
      // Roles not set explicitly keep their default; a local cluster's router has one port of its
      // own on this host (router-port.ts), so a local cluster has at most one router.
      const merged = [...DEFAULT_ROLES.filter((d) => !stored.some((r) => r.name === d.name)), ...stored];
      const roles = merged.map((r) => ({ ...r, count: r.name === 'router' ? Math.min(r.count, 1) : r.count }));
      const instances = await listInstances(scalarium.db, cluster.id);
      const wanted = new Set<string>();
      await Promise.all(roles.flatMap(({ name: role, count }) => Array.from({ length: count }, async (_, i) => {
        const id = `${cluster.name}-${role}-${i + 1}`;
        wanted.add(id);
        if (!instances.some((existing) => existing.id === id)) {
          await insertInstance(scalarium.db, { id, clusterId: cluster.id, role, token: crypto.randomBytes(32).toString('hex') });
        }
        const dir = instanceDir(scalarium, id);
        const isDefaultCluster = cluster.name === scalarium.defaultCluster?.name;
        let pid = safeRunningPid(dir);
        if (pid && scalarium.hub.peer(id)) return; // running and connected: nothing to do
        const existing = instances.find((i) => i.id === id);
        const restarted = !pid && existing?.state === 'online';
        try {
          if (pid) {
            scalarium.say(`adopting ${id} (pid ${pid})`);
          } else {
            await updateInstance(scalarium.db, id, { state: 'booting' });
            if (restarted) {
              // Its agent died (kill -9, a crash) and left its app processes running: out of the
              // routers before its next life ends them.
              scalarium.say(`${id}: its agent is not running: starting it again`);
              await configureCluster(scalarium, cluster, `the agent of ${id} died`).catch((error: Error) => scalarium.say(`configure without ${id}: ${error.message}`));
            }
            const port = role === 'router' ? await chooseRouterPort({
              dir, instancesRoot: dataPaths(scalarium).instances, isDefaultCluster, host: scalarium.config.routerHost, configured: scalarium.config.routerPort,
            }) : undefined;
            pid = await spawnInstance(scalarium, { id, role }, port);
          }
          await updateInstance(scalarium.db, id, { pid, address: '127.0.0.1' });
          await waitForConnection(scalarium, id, dir, () => safeRunningPid(dir) !== undefined, CONNECT_TIMEOUT_MS);
          // A port the router picked itself is kept: it comes back there, and its apps' URLs stay.
          const reported = scalarium.hub.peer(id)?.port;
          if (role === 'router' && !isDefaultCluster && reported && !storedRouterPort(dir)) await storeRouterPort(dir, reported);
          if (role !== 'router') await waitUntilOnline(scalarium, id, CONNECT_TIMEOUT_MS);
          await updateInstance(scalarium.db, id, { failure: null });
          if (restarted) await configureCluster(scalarium, cluster, `the agent of ${id} is back`).catch((error: Error) => scalarium.say(`configure after ${id} came back: ${error.message}`));
        } catch (error) {
          await updateInstance(scalarium.db, id, { state: 'failed', failure: (error as Error).message });
          throw error;
        }
      })));
      // Instances beyond the wanted counts go (newest names last, so those go first).
      for (const extra of instances.filter((i) => !wanted.has(i.id) && i.state !== 'stopped')) {
        await shutdownInstance(scalarium, extra, () => stopLocalInstance(instanceDir(scalarium, extra.id)));
      }
    },
    async terminate(instance: Instance): Promise<void> {
      await stopLocalInstance(instanceDir(scalarium, instance.id));
      await updateInstance(scalarium.db, instance.id, { state: 'stopped', pid: null });
    },
    consoleOutput: (instance: Instance) => lastLines(path.join(instanceDir(scalarium, instance.id), 'output.log')),
  };
}

/** SIGTERM the instance process (it stops its app processes), SIGKILL leftovers after a grace period. */
export async function stopLocalInstance(dir: string, graceMs = 15_000): Promise<void> {
  const pid = safeRunningPid(dir);
  if (pid) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // gone already
    }
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && safeRunningPid(dir)) await new Promise((r) => setTimeout(r, 100));
    if (safeRunningPid(dir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // it ended just now
      }
    }
  }
  // An agent that was killed -9 (or SIGKILLed above) left its app processes running: their records
  // say which, with start times, so that a pid reused since is left alone.
  const orphans = await endRecorded(readRecords(dir), 5000);
  if (orphans.length && fs.existsSync(dir)) writeRecords(dir, []);
  // What escaped those process groups is still in the instance's resource groups.
  const { host } = detectCgroups(process.getuid?.() === 0);
  if (host) await sweepGroups(host, agentGroupPrefix(dir));
  if (process.getuid?.() === 0) await LoopbackGuard.remove(agentGroupPrefix(dir));
}

/** Stops every local instance of a data directory: `scalarium-server stop-instances`. */
export async function stopAllLocalInstances(dataDir: string): Promise<string[]> {
  const root = path.join(dataDir, 'instances');
  const ids = fs.existsSync(root) ? await fsp.readdir(root) : [];
  await Promise.all(ids.map((id) => stopLocalInstance(path.join(root, id))));
  return ids;
}

export const localProviderPlugin: Plugin = {
  name: NAME,
  commands: [{
    name: 'stop-instances',
    summary: 'stop the local agents, their apps and the router of the data dir',
    async run(config) {
      const ids = await stopAllLocalInstances(config.dataDir);
      process.stdout.write(`stopped ${ids.length} local instance(s)${ids.length ? `: ${ids.join(', ')}` : ''}\n`);
      return 0;
    },
  }],
  async apply(scalarium) {
    scalarium.registerProvider(createLocalProvider(scalarium));
    // Apps nobody gives a cluster run here, on this host.
    scalarium.defaultCluster ??= { name: 'local', provider: 'local' };
    const guard = await closeAppPortsToNetwork(scalarium.config.appPorts, scalarium.config.appUids);
    scalarium.statusNotes.set('App ports', guard);
    scalarium.say(guard.ok ? guard.text : `WARNING: ${guard.text}`);
  },
};

export default localProviderPlugin;
