// The server's side of the fleet host: starts the child process the simulated instances live in
// (fleet-host.ts, through tsx as the server itself runs) on the first boot, sends it orders, and
// stops it with the server. Without simulated instances there is no child.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BootOrder, FromHost, InstanceView, ToHost } from './fleet-messages.ts';

const HOST_PROGRAM = fileURLToPath(new URL('./fleet-host.ts', import.meta.url));
const STOP_GRACE_MS = 2000;

export class Fleet {
  private child: ChildProcess | undefined;
  private started: Promise<ChildProcess> | undefined;
  private nextReqId = 1;
  private readonly answers = new Map<number, (result: unknown) => void>();

  constructor(
    private readonly onBootFailed: (id: string, reason: string) => void,
    private readonly onStarted: (pid: number) => void,
    private readonly say: (line: string) => void,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async boot(orders: BootOrder[]): Promise<void> {
    if (orders.length) await this.send({ type: 'boot', orders });
  }

  async stop(ids: string[]): Promise<void> {
    if (ids.length && this.child) await this.send({ type: 'stop', ids });
  }

  /** Resolves once the host has destroyed the sockets (the server may not have noticed yet). */
  async kill(ids: string[]): Promise<void> {
    if (!this.child) return;
    await this.ask((reqId) => ({ type: 'kill', ids, reqId }));
  }

  async mute(ids: string[], ms: number): Promise<void> {
    if (!this.child) return;
    await this.ask((reqId) => ({ type: 'mute', ids, ms, reqId }));
  }

  async inspect(id: string): Promise<InstanceView | undefined> {
    if (!this.child) return undefined;
    return ((await this.ask((reqId) => ({ type: 'inspect', id, reqId }))) as InstanceView | null) ?? undefined;
  }

  /** Ends the host and with it every simulated instance (their connections drop). */
  async close(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    this.started = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }

  private async ask(message: (reqId: number) => ToHost): Promise<unknown> {
    const reqId = this.nextReqId++;
    const answered = new Promise<unknown>((resolve) => this.answers.set(reqId, resolve));
    await this.send(message(reqId));
    return answered;
  }

  private async send(message: ToHost): Promise<void> {
    const child = await this.start();
    await new Promise<void>((resolve, reject) => child.send(message, (error) => (error ? reject(error) : resolve())));
  }

  private start(): Promise<ChildProcess> {
    this.started ??= new Promise((resolve, reject) => {
      // The host is TypeScript like the server: run through the same tsx loader.
      const child = fork(HOST_PROGRAM, [], { execArgv: ['--import', import.meta.resolve('tsx')], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      this.child = child;
      child.once('error', reject);
      child.on('message', (message: FromHost) => {
        if (message.type === 'ready') {
          this.onStarted(message.pid);
          resolve(child);
        } else if (message.type === 'boot-failed') this.onBootFailed(message.id, message.reason);
        else if (message.type === 'answer') {
          this.answers.get(message.reqId)?.(message.result);
          this.answers.delete(message.reqId);
        }
      });
      child.once('exit', (code, signal) => {
        if (this.child !== child) return;
        // Unasked: the simulated instances are gone with it; the next boot starts a new host.
        this.child = undefined;
        this.started = undefined;
        for (const answer of this.answers.values()) answer(null);
        this.answers.clear();
        this.say(`simulated fleet host ${child.pid} ended (${signal ?? `exit ${code}`}); its instances are gone`);
        reject(new Error('the simulated fleet host ended before it was ready'));
      });
    });
    return this.started;
  }
}
