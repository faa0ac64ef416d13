// The outbound side of the agent protocol, shared by the instance agent and the router: connect to
// the server, say hello, answer requests, and reconnect with backoff whenever the server goes away
// (a server restart must never take instances or the router down with it). Every peer heartbeats
// every 5 s: the server's healing tells a silent instance from an idle one by that.
import os from 'node:os';
import WebSocket from 'ws';
import type { HelloMessage, MetricsMessage, Request, RequestMessage, ToPeer, ToServer } from './protocol.ts';

export interface PeerOptions {
  url: string; // ws://127.0.0.1:5050/agent
  hello: () => Omit<HelloMessage, 'type'>;
  onRequest: (req: Request) => Promise<unknown>;
  onConnected?: () => void;
  /**
   * What to report every metrics interval (the server says how often at welcome; 10 s until then).
   * Reports made while the server is away are queued like logs, so a restart loses none.
   */
  metrics?: (intervalMs: number) => Omit<MetricsMessage, 'type' | 'at' | 'intervalMs'>;
  log?: (line: string) => void;
}

export const HEARTBEAT_MS = 5000;

export class PeerConnection {
  private socket: WebSocket | undefined;
  private stopped = false;
  private attempt = 0;
  private readonly queue: string[] = [];
  /** The token the server gave at the last welcome; it replaces the one from the environment. */
  private rotatedToken: string | undefined;
  private metricsIntervalMs = 10_000;
  private metricsTimer: NodeJS.Timeout | undefined;
  private lastMetricsAt = Date.now();
  private heartbeatTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: PeerOptions) {}

  start(): void {
    this.connect();
    if (this.options.metrics) this.scheduleMetrics();
    // Not queued while disconnected (send() drops them): a heartbeat is news only when it is fresh.
    this.heartbeatTimer = setInterval(() => {
      this.send({ type: 'heartbeat', at: new Date().toISOString(), load: os.loadavg(), freeMem: os.freemem() });
    }, HEARTBEAT_MS);
    this.heartbeatTimer.unref();
  }

  private scheduleMetrics(): void {
    this.metricsTimer = setTimeout(() => {
      if (this.stopped) return;
      const now = Date.now();
      const intervalMs = now - this.lastMetricsAt;
      this.lastMetricsAt = now;
      try {
        this.send({ type: 'metrics', at: new Date(now).toISOString(), intervalMs, ...this.options.metrics!(intervalMs) });
      } catch (error) {
        this.options.log?.(`metrics: ${(error as Error).message}`);
      }
      this.scheduleMetrics();
    }, this.metricsIntervalMs);
    this.metricsTimer.unref();
  }

  /** The instance token currently in force (for other requests to the server, e.g. slug downloads). */
  token(fallback: string): string {
    return this.rotatedToken ?? fallback;
  }

  get connected(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  /** Sends now, or after the next reconnect; logs and reports are queued (bounded) meanwhile. */
  send(message: ToServer): void {
    const text = JSON.stringify(message);
    if (this.connected) this.socket!.send(text);
    else if (message.type !== 'heartbeat') {
      this.queue.push(text);
      if (this.queue.length > 5000) this.queue.shift();
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.metricsTimer);
    clearInterval(this.heartbeatTimer);
    this.socket?.close();
  }

  private connect(): void {
    if (this.stopped) return;
    const socket = new WebSocket(this.options.url, { perMessageDeflate: false });
    this.socket = socket;
    socket.on('open', () => {
      this.attempt = 0;
      const hello = this.options.hello();
      socket.send(JSON.stringify({ type: 'hello', ...hello, token: this.rotatedToken ?? hello.token } satisfies HelloMessage));
      for (const text of this.queue.splice(0)) socket.send(text);
      this.options.onConnected?.();
    });
    socket.on('message', (data) => this.handle(socket, String(data)));
    socket.on('close', () => this.scheduleReconnect(socket));
    socket.on('error', (error) => {
      this.options.log?.(`connection to server: ${error.message}`);
    });
  }

  private scheduleReconnect(socket: WebSocket): void {
    if (this.socket !== socket || this.stopped) return;
    this.socket = undefined;
    // Exponential backoff with jitter, capped so a restarted server is found again within seconds.
    const base = Math.min(5000, 200 * 2 ** this.attempt++);
    setTimeout(() => this.connect(), base / 2 + Math.random() * (base / 2));
  }

  private handle(socket: WebSocket, text: string): void {
    let message: ToPeer;
    try {
      message = JSON.parse(text) as ToPeer;
    } catch {
      return;
    }
    if (message.type === 'welcome') {
      const interval = message.metricsIntervalMs;
      if (typeof interval === 'number' && interval >= 1000 && interval <= 300_000 && interval !== this.metricsIntervalMs) {
        this.metricsIntervalMs = interval;
        if (this.metricsTimer) {
          clearTimeout(this.metricsTimer);
          this.scheduleMetrics();
        }
      }
      if (typeof message.token === 'string' && message.token) {
        this.rotatedToken = message.token;
        socket.send(JSON.stringify({ type: 'token-ack', token: message.token }));
      }
      return;
    }
    if (message.type !== 'request') return;
    const { reqId, type: _type, ...request } = message as RequestMessage;
    this.options.onRequest(request as Request).then(
      (result) => reply(socket, { type: 'reply', reqId, ok: true, result }),
      (error: Error) => reply(socket, { type: 'reply', reqId, ok: false, error: error.message }),
    );
  }
}

function reply(socket: WebSocket, message: ToServer): void {
  if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}
