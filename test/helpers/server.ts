// Starts a real scalarium-server as a subprocess on ephemeral ports with a temp data dir, and
// cleans up everything it started (server, agents, router, app processes).
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { newToken } from '../../server/db/identity.ts';
import { serverDirs } from './dirs.ts';
import { apiRequest } from './api.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SERVER_BIN = path.join(ROOT, 'bin', 'scalarium-server.js');

export interface TestServer {
  url: string;
  routerPort: number;
  token: string;
  dataDir: string;
  /** Where apps and builds work (outside the data dir). */
  appsDir: string;
  /** The server process's pid (undefined while it is stopped). */
  readonly pid: number | undefined;
  output: () => string;
  /** SIGTERM (or SIGKILL) the server only; agents, router and apps keep running. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the server again on the same data dir (and the same port). */
  restart(): Promise<void>;
  /** Stops the server, its instances and removes the data dir. */
  cleanup(): Promise<void>;
  api<T = any>(method: string, apiPath: string, body?: unknown, token?: string): Promise<{ status: number; body: T }>;
}

export async function startTestServer(options: { env?: Record<string, string> } = {}): Promise<TestServer> {
  const dirs = serverDirs();
  const { dataDir, appsDir } = dirs;
  const token = newToken();
  let child: ChildProcess | undefined;
  let output = '';
  let port = 0;
  let url = '';
  let routerPort = 0;

  const launch = async () => {
    const env = {
      ...process.env, ...dirs.env, SCALARIUM_PORT: String(port), SCALARIUM_ROUTER_PORT: String(routerPort),
      SCALARIUM_ADMIN_TOKEN: token, SCALARIUM_HOST: '127.0.0.1', ...options.env,
    };
    const proc = spawn(process.execPath, [SERVER_BIN, 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 60_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const listen = /scalarium-server listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(output);
        if (listen) {
          url = listen[1]!;
          port = Number(listen[2]);
        }
        const router = /router listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
        if (router) routerPort = Number(router[1]);
        if (/^ready$/m.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', (c: Buffer) => (output += c.toString()));
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`server exited with ${code}:\n${output}`));
      });
    });
  };

  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    const proc = child;
    child = undefined;
    // A restart must wait for the next "ready", also after a server that died by itself.
    output = output.replace(/^ready$/gm, 'was-ready');
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill(signal);
    await exited;
    output = output.replace(/^ready$/gm, 'was-ready');
  };

  await launch();
  return {
    get url() { return url; },
    get routerPort() { return routerPort; },
    token,
    dataDir,
    appsDir,
    get pid() { return child?.pid; },
    output: () => output,
    stop,
    restart: launch,
    async cleanup() {
      await stop();
      await new Promise<void>((resolve) => {
        const p = spawn(process.execPath, [SERVER_BIN, 'stop-instances'], { env: { ...process.env, SCALARIUM_DATA_DIR: dataDir }, stdio: 'ignore' });
        p.on('exit', () => resolve());
      });
      dirs.remove();
    },
    api: (method, apiPath, body, useToken = token) => apiRequest(url, useToken, method, apiPath, body),
  };
}
