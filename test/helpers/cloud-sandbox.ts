// Plays the cloud's part for moto, which records instances but boots nothing: every running
// instance moto reports gets its real user-data script run with /bin/sh in a sandbox directory of
// its own on this machine (which downloads and starts a real agent or router), and the processes
// of an instance moto reports terminated (or stopped) are killed, as a real cloud would.
//
// The sandbox sets the overrides the user-data honours: SCALARIUM_INSTANCE_ROOT=<its directory>,
// SCALARIUM_ROUTER_HOST=127.0.0.1, SCALARIUM_ROUTER_PORT=0 (or a chosen port) and
// SCALARIUM_ADVERTISE_ADDRESS=127.0.0.1. The script records the pid of what it started (the leader
// of its own process group) in $ROOT/pid; app processes the agent starts are in $ROOT/app-pids.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DescribeInstanceAttributeCommand, DescribeInstancesCommand, EC2Client, type Tag } from '@aws-sdk/client-ec2';
import { isAlive } from './processes.ts';
import { agentGroupPrefix, detectCgroups, sweepGroups } from '../../server/sandbox/cgroups.ts';
import { LoopbackGuard } from '../../server/net/loopback-guard.ts';

export interface SandboxInstance {
  id: string;
  state: string;
  tags: Record<string, string>;
}

export interface BootRecord {
  instance: SandboxInstance;
  dir: string;
  status: 'skipped' | 'no-user-data' | 'running-script' | 'started' | 'script-failed' | 'killed';
  /** What the user-data script printed. */
  output: string;
  exitCode?: number | null;
}

export interface CloudSandbox {
  root: string;
  /** Every instance the sandbox has seen running, by EC2 instance id. */
  readonly records: Map<string, BootRecord>;
  /** Instances matching this are never booted (an image whose agent never starts). */
  skip(predicate: (instance: SandboxInstance) => boolean): void;
  /** Resolves once the instance's script has run (or the sandbox decided not to run it). */
  waitForBoot(instanceId: string, timeoutMs?: number): Promise<BootRecord>;
  /** True while the process the instance's script started is alive. */
  isAlive(instanceId: string): boolean;
  /** Stops polling, kills every process any instance started, removes the sandbox root. */
  cleanup(): Promise<void>;
}

export interface SandboxOptions {
  /** moto's URL: the sandbox talks to moto directly, never through a fault proxy. */
  endpoint: string;
  region?: string;
  pollMs?: number;
  /** Port routers listen on (default 0: any free port; they tell the server which). */
  routerPort?: number;
  /** Extra environment for the user-data scripts. */
  env?: Record<string, string>;
}

const DEAD_STATES = new Set(['shutting-down', 'terminated', 'stopping', 'stopped']);

function tagsOf(tags: Tag[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).filter((t) => t.Key).map((t) => [t.Key!, t.Value ?? '']));
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** SIGKILL, as a cloud pulling the plug would: the program's group, then its app processes' groups. */
function killInstance(dir: string): void {
  const pids = [readPid(path.join(dir, 'pid'))];
  try {
    pids.push(...fs.readFileSync(path.join(dir, 'app-pids'), 'utf8').split('\n').map((l) => Number(l.trim())));
  } catch {
    // no app processes
  }
  for (const pid of pids) {
    if (!pid || !Number.isInteger(pid) || pid <= 0) continue;
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  }
}

/**
 * What a real instance takes with it when it goes, but a sandbox instance leaves on this host: the
 * cgroups and the loopback firewall chain of its agent (named after the agent's directory).
 */
async function releaseHostResources(dir: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const prefix = agentGroupPrefix(dir);
  const { host } = detectCgroups(true);
  if (host) await sweepGroups(host, prefix).catch(() => {});
  await LoopbackGuard.remove(prefix).catch(() => {});
}

export async function startCloudSandbox(options: SandboxOptions): Promise<CloudSandbox> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'scalarium-cloud-'));
  fs.chmodSync(root, 0o711); // each instance's apps folder inside must be reachable by the apps' uids
  const client = new EC2Client({
    region: options.region ?? 'us-east-1', endpoint: options.endpoint,
    credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' }, maxAttempts: 3,
  });
  const records = new Map<string, BootRecord>();
  const skips: Array<(instance: SandboxInstance) => boolean> = [];
  const waiters = new Map<string, Array<(record: BootRecord) => void>>();
  const scripts = new Set<Promise<void>>();
  let stopped = false;

  const settle = (record: BootRecord) => {
    for (const resolve of waiters.get(record.instance.id) ?? []) resolve(record);
    waiters.delete(record.instance.id);
  };

  const env = (dir: string): NodeJS.ProcessEnv => ({
    // Node for the script: the one running the tests comes first on PATH.
    PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'}`,
    HOME: dir,
    LANG: process.env.LANG ?? 'C.UTF-8',
    SCALARIUM_INSTANCE_ROOT: dir,
    // Instances share this host: each gets its own apps folder, and none touches its firewall.
    SCALARIUM_APPS_DIR: `${dir}-apps`,
    SCALARIUM_IMDS_GUARD: '0',
    SCALARIUM_INSTALL_BWRAP: '0',
    SCALARIUM_ROUTER_HOST: '127.0.0.1',
    SCALARIUM_ROUTER_PORT: String(options.routerPort ?? 0),
    SCALARIUM_ADVERTISE_ADDRESS: '127.0.0.1',
    ...options.env,
  });

  const boot = async (instance: SandboxInstance) => {
    const dir = path.join(root, instance.id);
    fs.mkdirSync(dir, { recursive: true });
    const record: BootRecord = { instance, dir, status: 'running-script', output: '' };
    records.set(instance.id, record);
    if (skips.some((skip) => skip(instance))) {
      record.status = 'skipped';
      settle(record);
      return;
    }
    const attribute = await client.send(new DescribeInstanceAttributeCommand({ InstanceId: instance.id, Attribute: 'userData' }));
    const encoded = attribute.UserData?.Value;
    if (!encoded) {
      record.status = 'no-user-data';
      settle(record);
      return;
    }
    const script = path.join(dir, 'user-data.sh');
    fs.writeFileSync(script, Buffer.from(encoded, 'base64'), { mode: 0o700 });
    const child = spawn('/bin/sh', [script], { cwd: dir, env: env(dir), stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (c: Buffer) => (record.output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (record.output += c.toString()));
    const code = await new Promise<number | null>((resolve) => {
      child.once('exit', (c) => resolve(c));
      child.once('error', (error) => {
        record.output += `\n${error.message}`;
        resolve(null);
      });
    });
    record.exitCode = code;
    if (record.status === 'running-script') record.status = code === 0 ? 'started' : 'script-failed';
    // Terminated while its script ran: what the script started must go too.
    if (record.status === 'killed') {
      killInstance(dir);
      await releaseHostResources(dir);
    }
    settle(record);
  };

  const poll = async () => {
    const out = await client.send(new DescribeInstancesCommand({}));
    for (const reservation of out.Reservations ?? []) {
      for (const i of reservation.Instances ?? []) {
        if (!i.InstanceId) continue;
        const state = i.State?.Name ?? 'pending';
        const record = records.get(i.InstanceId);
        if (!record && state === 'running') {
          const started = boot({ id: i.InstanceId, state, tags: tagsOf(i.Tags) }).catch((error: Error) => {
            const r = records.get(i.InstanceId!);
            if (r) {
              r.status = 'script-failed';
              r.output += `\nsandbox: ${error.message}`;
              settle(r);
            }
          });
          scripts.add(started);
          void started.finally(() => scripts.delete(started));
        } else if (record && DEAD_STATES.has(state) && record.status !== 'killed') {
          const wasRunningScript = record.status === 'running-script';
          record.status = 'killed';
          record.instance.state = state;
          if (!wasRunningScript) {
            killInstance(record.dir);
            const released = releaseHostResources(record.dir);
            scripts.add(released);
            void released.finally(() => scripts.delete(released));
          }
        }
      }
    }
  };

  const loop = (async () => {
    while (!stopped) {
      await poll().catch(() => {});
      await new Promise((r) => setTimeout(r, options.pollMs ?? 150));
    }
  })();

  return {
    root,
    records,
    skip(predicate) {
      skips.push(predicate);
    },
    waitForBoot(instanceId, timeoutMs = 30_000) {
      const record = records.get(instanceId);
      if (record && record.status !== 'running-script') return Promise.resolve(record);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`sandbox: instance ${instanceId} was not booted within ${timeoutMs} ms`)), timeoutMs);
        const list = waiters.get(instanceId) ?? [];
        list.push((r) => {
          clearTimeout(timer);
          resolve(r);
        });
        waiters.set(instanceId, list);
      });
    },
    isAlive(instanceId) {
      const record = records.get(instanceId);
      const pid = record && readPid(path.join(record.dir, 'pid'));
      return Boolean(pid && isAlive(pid));
    },
    async cleanup() {
      stopped = true;
      await loop;
      await Promise.allSettled([...scripts]);
      for (const record of records.values()) killInstance(record.dir);
      for (const record of records.values()) await releaseHostResources(record.dir);
      client.destroy();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
