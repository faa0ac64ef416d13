// One simulated instance: an agent or a router that connects to the server's /agent endpoint with
// its real token and speaks the real protocol (hello, token rotation, requests and replies,
// heartbeats, metrics), but runs nothing. A started process is an entry that is ready at once, on a
// made-up port of a made-up host (<id>.simulated); a router keeps the newest table it is sent.
// It owns no timer: the fleet host's one clock calls tick() (fleet-host.ts).
import WebSocket from 'ws';
import type {
  AgentRequest, HookResult, MetricsMessage, ProcessReport, RouteTable,
} from '../../server/plugin-api.ts';
import type { BootOrder, InstanceView } from './fleet-messages.ts';
import { instanceUsage, processUsage } from './load-model.ts';
import { seededUnit } from './seeded.ts';

const HEARTBEAT_MS = 5000;
const FIRST_PORT = 10_000;
const MAX_RECONNECT_MS = 5000;

export class SimulatedAgent {
  private socket: WebSocket | undefined;
  private readonly processes = new Map<string, ProcessReport>();
  private table: RouteTable | undefined;
  private nextPort = FIRST_PORT;
  private metricsIntervalMs = 10_000;
  private nextHeartbeatAt = Infinity;
  private nextMetricsAt = Infinity;
  private lastMetricsAt = 0;
  private samples = 0;
  private attempts = 0;
  private ended = false;
  private mutedUntil = 0;

  constructor(private readonly order: BootOrder) {}

  get id(): string {
    return this.order.id;
  }

  connect(): void {
    if (this.ended) return;
    const socket = new WebSocket(this.order.url, { perMessageDeflate: false });
    this.socket = socket;
    socket.on('open', () => {
      this.attempts = 0;
      const { id, kind, token } = this.order;
      socket.send(JSON.stringify({
        type: 'hello', kind, instanceId: id, token, pid: 0, address: `${id}.simulated`,
        ...(kind === 'agent' ? { processes: [...this.processes.values()] } : { tableVersion: this.table?.version ?? 0 }),
      }));
    });
    socket.on('message', (data) => this.receive(socket, String(data)));
    socket.on('close', () => this.closed(socket));
    socket.on('error', () => {
      // 'close' follows and decides whether to come back.
    });
  }

  /** Sends what is due: a heartbeat every 5 s, metrics every interval the server asked for. */
  tick(now: number): void {
    if (this.socket?.readyState !== WebSocket.OPEN) return;
    if (now >= this.nextHeartbeatAt) {
      this.nextHeartbeatAt = now + HEARTBEAT_MS;
      const usage = instanceUsage(this.order.load, this.id, this.samples);
      this.send({ type: 'heartbeat', at: new Date(now).toISOString(), load: [usage.load1, usage.load1, usage.load1], freeMem: usage.memoryTotalBytes - usage.memoryUsedBytes });
    }
    if (now >= this.nextMetricsAt) {
      this.nextMetricsAt = now + this.metricsIntervalMs;
      const instance = instanceUsage(this.order.load, this.id, this.samples++);
      const message: MetricsMessage = {
        type: 'metrics', at: new Date(now).toISOString(), intervalMs: now - this.lastMetricsAt, instance,
        ...(this.order.kind === 'agent' ? { processes: processUsage(instance, [...this.processes.values()]) } : {}),
      };
      this.lastMetricsAt = now;
      this.send(message);
    }
  }

  /** Nothing it sends arrives for `ms` (dropped, not queued: what a partition does to heartbeats); the connection stays. */
  mute(ms: number): void {
    this.mutedUntil = Date.now() + ms;
  }

  /** Closes the connection properly: the server hears a goodbye. */
  stop(): void {
    this.ended = true;
    this.socket?.close(1000, 'simulated instance terminated');
  }

  /** Destroys the socket without a closing handshake, as a machine that lost power: the server only sees the TCP connection end. */
  kill(): Promise<void> {
    this.ended = true;
    const socket = this.socket;
    if (!socket || socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      socket.terminate();
    });
  }

  view(): InstanceView {
    return {
      processes: [...this.processes.values()].map(({ id, app, type, state, port }) => ({ id, app, type, state, port })),
      table: this.table,
      connected: this.socket?.readyState === WebSocket.OPEN,
    };
  }

  private send(message: object): void {
    if (Date.now() < this.mutedUntil) return;
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  private closed(socket: WebSocket): void {
    if (this.socket !== socket) return;
    this.socket = undefined;
    this.nextHeartbeatAt = this.nextMetricsAt = Infinity;
    if (this.ended) return;
    // The server went away (a restart): come back as a real agent would, with backoff.
    const delay = Math.min(MAX_RECONNECT_MS, 200 * 2 ** this.attempts++);
    setTimeout(() => this.connect(), delay).unref();
  }

  private receive(socket: WebSocket, text: string): void {
    let message: { type?: string; token?: unknown; metricsIntervalMs?: unknown; reqId?: number } & Partial<AgentRequest>;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (message.type === 'welcome') return this.welcome(socket, message);
    if (message.type !== 'request' || typeof message.reqId !== 'number') return;
    const { reqId } = message;
    let reply: object;
    try {
      reply = { type: 'reply', reqId, ok: true, result: this.answer(message as AgentRequest) };
    } catch (error) {
      reply = { type: 'reply', reqId, ok: false, error: (error as Error).message };
    }
    // A muted instance does the work but its answer is lost on the way, as in a partition.
    if (Date.now() >= this.mutedUntil && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(reply));
  }

  private welcome(socket: WebSocket, message: { token?: unknown; metricsIntervalMs?: unknown }): void {
    const interval = message.metricsIntervalMs;
    if (typeof interval === 'number' && interval >= 1000 && interval <= 300_000) this.metricsIntervalMs = interval;
    if (typeof message.token === 'string' && message.token) {
      // The next hello uses the rotated token, as a real agent's does.
      this.order.token = message.token;
      socket.send(JSON.stringify({ type: 'token-ack', token: message.token }));
    }
    // Staggered: a thousand instances that connected together do not all report in the same tick.
    const now = Date.now();
    this.lastMetricsAt = now;
    this.nextHeartbeatAt = now + seededUnit(this.order.load.seed, `hb:${this.id}`) * HEARTBEAT_MS;
    this.nextMetricsAt = now + seededUnit(this.order.load.seed, `metrics:${this.id}`) * this.metricsIntervalMs;
  }

  private answer(request: AgentRequest): unknown {
    switch (request.op) {
      case 'start': {
        if (this.order.kind !== 'agent') throw new Error('a router runs no processes');
        const { id, app, type, release } = request.spec;
        const process: ProcessReport = { id, app, type, release, state: 'ready', port: this.nextPort++, restarts: 0, startedAt: new Date().toISOString() };
        this.processes.set(id, process);
        return process;
      }
      case 'stop':
        for (const id of request.ids) this.processes.delete(id);
        return { stopped: request.ids.length };
      case 'table':
        if (this.order.kind !== 'router') throw new Error('an agent takes no route table');
        if (!this.table || request.table.version > this.table.version) this.table = request.table;
        return { version: this.table.version };
      case 'drain':
        return { drained: request.backends.length };
      case 'event':
        // No app hook runs on a simulated instance.
        return { hooks: [] satisfies HookResult[] };
      default:
        throw new Error(`unsupported op ${JSON.stringify((request as { op?: unknown }).op)}`);
    }
  }
}
