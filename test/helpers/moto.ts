// Starts moto_server (Python moto: the EC2 API, in memory) on a free loopback port for a test file,
// and stops it — the whole process group — afterwards. Usable from ava before/after hooks:
//   test.before(async () => { moto = await startMoto(); });
//   test.after.always(() => moto?.stop());
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';

export interface Moto {
  /** http://127.0.0.1:<port> — the EC2 endpoint (any region, any credentials). */
  url: string;
  port: number;
  /** What moto printed (for failure messages). */
  output(): string;
  /** Forgets every resource (moto's /moto-api/reset). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** A port nobody listens on right now (the kernel's pick for port 0). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export function motoInstalled(command = process.env.MOTO_SERVER ?? 'moto_server'): boolean {
  const probe = spawnSync(command, ['--help'], { stdio: 'ignore', timeout: 30_000 });
  return probe.status === 0;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (!child.pid) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // gone already
    }
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/moto-api/`, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

export async function startMoto(options: { command?: string; timeoutMs?: number } = {}): Promise<Moto> {
  const command = options.command ?? process.env.MOTO_SERVER ?? 'moto_server';
  let lastError = '';
  // The port is free when picked but could be taken before moto binds it: try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    let output = '';
    const child = spawn(command, ['-H', '127.0.0.1', '-p', String(port)], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-20_000)));
    child.stderr!.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-20_000)));
    let exited = false;
    const exit = new Promise<void>((resolve) => child.once('exit', () => {
      exited = true;
      resolve();
    }));
    child.once('error', (error) => {
      exited = true;
      output += `\n${error.message}`;
    });
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    while (!exited && Date.now() < deadline && !(await answers(url))) await new Promise((r) => setTimeout(r, 100));
    if (!exited && (await answers(url))) {
      return {
        url,
        port,
        output: () => output,
        async reset() {
          await fetch(`${url}/moto-api/reset`, { method: 'POST' }).then((r) => r.arrayBuffer());
        },
        async stop() {
          if (exited) return;
          killGroup(child, 'SIGTERM');
          const killed = await Promise.race([exit.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 3000))]);
          if (!killed) {
            killGroup(child, 'SIGKILL');
            await exit;
          }
        },
      };
    }
    killGroup(child, 'SIGKILL');
    if (!exited) await exit;
    lastError = output;
  }
  throw new Error(`moto_server did not start (is Python moto installed? pip install 'moto[server]'):\n${lastError}`);
}
