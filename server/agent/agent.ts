// The instance agent: one per instance. Connects out to the server, runs what it is asked to run, and
// keeps running it while the server is away. Started detached by the local provider, or by an EC2
// instance's user-data.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PeerConnection } from './peer-connection.ts';
import type { ProcessReport, Request } from './protocol.ts';
import { SlugCache } from './slug-cache.ts';
import { Supervisor } from './supervisor.ts';
import { applySandboxedAccounts, applySystemAccounts } from './accounts.ts';
import { runAppHook, type HookResult } from './app-hooks.ts';

export interface AgentOptions {
  serverUrl: string;
  instanceId: string;
  token: string;
  dir: string;
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
  };
}

export function startAgent(options: AgentOptions) {
  const log = (line: string) => process.stdout.write(`${new Date().toISOString()} agent: ${line}\n`);
  const slugs = new SlugCache(path.join(options.dir, 'slugs'), () => ({
    authorization: `Bearer ${connection.token(options.token)}`, 'x-scalarium-instance': options.instanceId,
  }));
  const pidFile = path.join(options.dir, 'app-pids');
  // Apps find the cluster's shape (roles, instances, addresses, apps) in this file; configure keeps it current.
  const clusterJsonFile = path.join(options.dir, 'cluster.json');
  const baseEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', LANG: process.env.LANG ?? 'C.UTF-8', SCALARIUM_CLUSTER_JSON: clusterJsonFile,
  };
  const supervisor: Supervisor = new Supervisor({
    report: (report: ProcessReport) => connection.send({ type: 'process', process: report }),
    log: (app, source, line) => connection.send({ type: 'log', app, source, line, at: new Date().toISOString() }),
    // Recorded so that an operator (or a test) can clean up app processes even if the agent is killed -9.
    changed: () => fs.writeFile(pidFile, supervisor.pids().join('\n'), () => {}),
  }, baseEnv);

  const handle = async (request: Request): Promise<unknown> => {
    switch (request.op) {
      case 'start': {
        const dir = await slugs.ensure(request.spec.slug.sha256, request.spec.slug.url);
        return supervisor.start(request.spec, dir);
      }
      case 'stop':
        await supervisor.stop(request.ids, request.graceMs);
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
          await fs.promises.writeFile(clusterJsonFile, clusterJson, { mode: 0o644 });
          // Events about one app (deploy, undeploy) run only that app's hook; cluster events run every app's.
          const only = Array.isArray(payload.apps) ? new Set(payload.apps as string[]) : undefined;
          const dirs = [...supervisor.appDirs()].filter(([app]) => !only || only.has(app));
          result.hooks = [];
          for (const [app, dir] of dirs) {
            result.hooks.push(await runAppHook(app, dir, request.event, clusterJson, { ...baseEnv, SCALARIUM_CLUSTER_JSON: clusterJsonFile }));
          }
        }
        return result;
      }
      default:
        throw new Error(`unsupported op "${request.op}"`);
    }
  };

  const connection = new PeerConnection({
    url: options.serverUrl,
    hello: () => ({
      kind: 'agent', instanceId: options.instanceId, token: options.token, pid: process.pid, processes: supervisor.reports(),
      ...(process.env.SCALARIUM_ADVERTISE_ADDRESS ? { address: process.env.SCALARIUM_ADVERTISE_ADDRESS } : {}),
    }),
    onRequest: handle,
    onConnected: () => log(`connected to ${options.serverUrl}`),
    log,
  });
  connection.start();
  const heartbeat = setInterval(() => {
    connection.send({ type: 'heartbeat', at: new Date().toISOString(), load: os.loadavg(), freeMem: os.freemem() });
  }, 5000);

  return {
    supervisor,
    async stop(graceMs = 10_000): Promise<void> {
      clearInterval(heartbeat);
      await supervisor.stopAll(graceMs);
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
