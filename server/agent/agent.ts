// The instance agent: one per instance. Connects out to the server, runs what it is asked to run, and
// keeps running it while the server is away. Started detached by the local provider, or by an EC2
// instance's user-data.
import fs from 'node:fs';
import path from 'node:path';
import { PeerConnection } from './peer-connection.ts';
import type { ProcessReport, Request } from './protocol.ts';
import { SlugCache } from './slug-cache.ts';
import { Supervisor, type SandboxPolicy } from './supervisor.ts';
import { applySandboxedAccounts, applySystemAccounts } from './accounts.ts';
import { runAppHook, type HookResult } from './app-hooks.ts';
import { AppDirs } from './app-dirs.ts';
import { detectIsolation, type Isolation } from '../sandbox/isolation.ts';
import { packageBoundary, platformDir } from '../sandbox/dirs.ts';
import { parsePortRange, type PortRange } from '../net/port-range.ts';
import { agentGroupPrefix, detectCgroups, sweepGroups } from '../sandbox/cgroups.ts';
import { describeLimits, parseLimits } from '../sandbox/limits.ts';
import { LoopbackGuard } from '../net/loopback-guard.ts';
import { endRecorded, readRecords, writeRecords } from './process-records.ts';
import { UsageSampler } from './usage.ts';

/** How long app processes of an earlier life of the agent get between SIGTERM and SIGKILL. */
const PREVIOUS_LIFE_GRACE_MS = 5000;

export interface AgentOptions {
  serverUrl: string;
  instanceId: string;
  token: string;
  /** The agent's own directory (slug archives, pid files): nobody else reads it. */
  dir: string;
  /** Where the apps' folders are: reachable by the apps' uids, so outside `dir`. */
  appsDir: string;
  /** More platform directories that sandboxes must cover (the local provider's data dir). */
  hiddenDirs: string[];
  /** The ports app processes get. */
  appPorts: PortRange;
}

export function optionsFromEnv(env: NodeJS.ProcessEnv): AgentOptions {
  const need = (name: string): string => {
    const value = env[name];
    if (!value) throw new Error(`${name} must be set`);
    return value;
  };
  return {
    serverUrl: need('SCALARIUM_SERVER_URL'),
    instanceId: need('SCALARIUM_INSTANCE_ID'),
    token: need('SCALARIUM_INSTANCE_TOKEN'),
    dir: path.resolve(env.SCALARIUM_AGENT_DIR ?? '.'),
    appsDir: path.resolve(env.SCALARIUM_APPS_DIR ?? '/var/lib/scalarium-apps'),
    hiddenDirs: (env.SCALARIUM_HIDDEN_DIRS ?? '').split(':').filter((d) => d.startsWith('/')),
    appPorts: parsePortRange(env.SCALARIUM_APP_PORTS || undefined),
  };
}

export function startAgent(options: AgentOptions, isolation: Isolation = detectIsolation(process.env)) {
  const log = (line: string) => process.stdout.write(`${new Date().toISOString()} agent: ${line}\n`);
  log(isolation.summary);
  if (isolation.warning) log(`WARNING: ${isolation.warning}`);
  fs.mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(options.dir, 0o700);
  const slugs = new SlugCache(path.join(options.dir, 'slugs'), () => ({
    authorization: `Bearer ${connection.token(options.token)}`, 'x-scalarium-instance': options.instanceId,
  }));
  const apps = new AppDirs(options.appsDir, slugs);
  // Apps find the cluster's shape (roles, instances, addresses, apps) in this file; configure keeps
  // it current. It sits beside the apps' folders (root-owned, world-readable) so every app can read
  // it; sandboxes bind its folder, so that a replaced file shows through.
  const clusterDir = path.join(options.appsDir, '.cluster');
  const clusterJsonFile = path.join(clusterDir, 'cluster.json');
  const baseEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', LANG: process.env.LANG ?? 'C.UTF-8', SCALARIUM_CLUSTER_JSON: clusterJsonFile,
  };
  const appLimits = parseLimits(process.env, 'SCALARIUM_APP');
  const groupPrefix = agentGroupPrefix(options.dir);
  const cgroups = detectCgroups(isolation.mode === 'uid');
  log(`resource limits per app process (${describeLimits(appLimits)}): ${cgroups.summary}`);
  const sandbox: SandboxPolicy = {
    isolation, readable: [clusterDir], hidden: [options.dir, options.appsDir, ...options.hiddenDirs],
    ...(cgroups.host ? { limits: { host: cgroups.host, app: appLimits, prefix: groupPrefix } } : {}),
  };
  const prune = () => apps.prune(supervisor.slugsInUse()).catch((error: Error) => log(`pruning app folders failed: ${error.message}`));
  const supervisor: Supervisor = new Supervisor({
    report: (report: ProcessReport) => connection.send({ type: 'process', process: report }),
    log: (app, source, line) => connection.send({ type: 'log', app, source, line, at: new Date().toISOString() }),
    // Recorded so that the agent's next life, the local provider or an operator can end app
    // processes even if the agent is killed -9.
    changed: () => {
      try {
        writeRecords(options.dir, supervisor.records());
      } catch (error) {
        log(`WARNING: could not record the app processes: ${(error as Error).message}`);
      }
    },
  }, baseEnv, sandbox, options.appPorts);

  // An earlier life of this agent (killed -9, crashed) may have left app processes running. They
  // are ended, not adopted: their output pipes died with it (their logs would go nowhere, their
  // next write may kill them) and only a parent sees a process exit to restart it. The server
  // hears of no process in the hello and starts the formation again here, on the same release.
  const endPreviousLife = async () => {
    try {
      const ended = await endRecorded(readRecords(options.dir), PREVIOUS_LIFE_GRACE_MS);
      if (ended.length) log(`ended ${ended.length} app process(es) an earlier life of this agent left running: ${ended.map((r) => `${r.app} ${r.id} (pid ${r.pid})`).join(', ')}`);
      // What left its process group (setsid) is still in the agent's resource groups.
      if (cgroups.host) await sweepGroups(cgroups.host, groupPrefix);
      writeRecords(options.dir, []);
    } catch (error) {
      log(`WARNING: could not end the app processes of an earlier life of this agent: ${(error as Error).message}`);
    }
  };

  const ready = (async () => {
    await platformDir(options.appsDir, 0o711);
    await packageBoundary(options.appsDir);
    await platformDir(clusterDir, 0o755);
    // Present from the start: sandboxes bind it, and an app may read it before the first configure.
    if (!fs.existsSync(clusterJsonFile)) await fs.promises.writeFile(clusterJsonFile, '{}\n', { mode: 0o644 });
    await fs.promises.chmod(clusterJsonFile, 0o644);
    await endPreviousLife();
    await prune(); // leftovers of an earlier life of this agent: nothing runs yet
    if (isolation.mode === 'uid') {
      sandbox.loopback = await LoopbackGuard.open(groupPrefix);
      log(sandbox.loopback.enforced
        ? 'apps reach only their own ports on loopback (iptables)'
        : 'WARNING: apps can connect to each other\'s ports on loopback: the host has no SCALARIUM-APP-PORTS chain');
    }
  })();

  const handle = async (request: Request): Promise<unknown> => {
    await ready;
    switch (request.op) {
      case 'start': {
        const { spec } = request;
        if (isolation.mode === 'uid' && !spec.user) throw new Error(`the server did not say which uid ${spec.app} runs as; upgrade the server`);
        const release = apps.hold(spec.app, spec.slug.sha256);
        try {
          const dirs = await apps.release(spec.app, spec.slug, isolation.mode === 'uid' ? spec.user : undefined);
          return await supervisor.start(spec, dirs);
        } finally {
          release();
          void prune();
        }
      }
      case 'stop':
        await supervisor.stop(request.ids, request.graceMs);
        // Before answering: once the server hears "stopped", nothing of those releases is left here.
        await prune();
        return { stopped: request.ids.length };
      case 'event': {
        const payload = (request.payload ?? {}) as { accounts?: unknown; cluster?: unknown; apps?: unknown };
        const result: { accounts?: string[]; hooks?: HookResult[] } = {};
        if (payload.accounts !== undefined) {
          result.accounts = process.env.SCALARIUM_MANAGE_OS_USERS === '1'
            ? await applySystemAccounts(payload.accounts)
            : await applySandboxedAccounts(path.join(options.dir, 'accounts'), payload.accounts);
        }
        if (payload.cluster !== undefined) {
          const clusterJson = JSON.stringify(payload.cluster, null, 2);
          // Replaced by rename: a sandbox bind of the old file would otherwise see a half-written one.
          await fs.promises.writeFile(`${clusterJsonFile}.new`, clusterJson, { mode: 0o644 });
          await fs.promises.chmod(`${clusterJsonFile}.new`, 0o644);
          await fs.promises.rename(`${clusterJsonFile}.new`, clusterJsonFile);
          // Events about one app (deploy, undeploy) run only that app's hook; cluster events run every app's.
          const only = Array.isArray(payload.apps) ? new Set(payload.apps as string[]) : undefined;
          const dirs = [...supervisor.appDirs()].filter(([app]) => !only || only.has(app));
          result.hooks = [];
          for (const [app, place] of dirs) {
            result.hooks.push(await runAppHook(app, place, request.event, clusterJson, baseEnv, sandbox));
          }
        }
        return result;
      }
      default:
        throw new Error(`unsupported op "${request.op}"`);
    }
  };

  const usage = new UsageSampler(options.appsDir);
  const connection = new PeerConnection({
    url: options.serverUrl,
    hello: () => ({
      kind: 'agent', instanceId: options.instanceId, token: options.token, pid: process.pid, processes: supervisor.reports(),
      ...(process.env.SCALARIUM_ADVERTISE_ADDRESS ? { address: process.env.SCALARIUM_ADVERTISE_ADDRESS } : {}),
    }),
    onRequest: handle,
    onConnected: () => log(`connected to ${options.serverUrl}`),
    metrics: () => {
      const types = new Map(supervisor.reports().map((r) => [r.id, r.type]));
      return usage.sample(supervisor.records().map((r) => ({ ...r, type: types.get(r.id) ?? 'web' })));
    },
    log,
  });
  connection.start();

  return {
    supervisor,
    async stop(graceMs = 10_000): Promise<void> {
      await supervisor.stopAll(graceMs);
      if (sandbox.loopback?.enforced) await LoopbackGuard.remove(groupPrefix);
      connection.stop();
    },
  };
}

/** The agent as a process: configuration from the environment, graceful stop on SIGTERM/SIGINT. */
export function runAgentProcess(): void {
  const agent = startAgent(optionsFromEnv(process.env));
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    agent.stop().finally(() => process.exit(0));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}
