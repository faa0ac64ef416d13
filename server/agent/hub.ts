// The server end of the agent protocol: accepts agent and router connections at /agent, checks
// their instance token, and lets the rest of the server send requests to a peer and await replies.
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { HelloMessage, ProcessReport, Request, ToServer, LogMessage, HeartbeatMessage, MetricsMessage, WelcomeMessage } from './protocol.ts';

export interface Peer {
  instanceId: string;
  kind: 'agent' | 'router';
  pid: number;
  port?: number;
  address: string;
  socket: WebSocket;
  /** When the peer last said anything (ms since the epoch): healing tells silence from an idle peer by it. */
  lastHeardAt: number;
}

interface Pending {
  /** Only this instance may answer (request ids are sequential, so another could guess them). */
  instanceId: string;
  /** The connection it went out on: once that closes no answer can come (a new one starts afresh). */
  socket: WebSocket;
  op: string;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export interface HubEvents {
  connected: [Peer, HelloMessage];
  disconnected: [Peer];
  process: [Peer, ProcessReport];
  log: [Peer, LogMessage];
  heartbeat: [Peer, HeartbeatMessage];
  metrics: [Peer, MetricsMessage];
}

export class AgentHub extends EventEmitter<HubEvents> {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4 * 1024 * 1024, perMessageDeflate: false });
  private readonly peers = new Map<string, Peer>();
  private readonly pending = new Map<number, Pending>();
  private nextReqId = 1;
  /** Told to every peer in its welcome: how often it sends metrics. */
  metricsIntervalMs = 10_000;

  constructor(
    /** The kind an instance's token entitles it to (from its role, never from what it claims), or undefined. */
    private readonly verify: (instanceId: string, token: string) => Promise<Peer['kind'] | undefined>,
    private readonly serverId: string,
    /** Rotation of instance tokens: offer a replacement at each connection, confirm it on ack. */
    private readonly tokens?: { offer(instanceId: string): Promise<string>; confirm(instanceId: string, token: string): Promise<unknown> },
  ) {
    super();
  }

  /** Wire into an http server's 'upgrade' event. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req.socket.remoteAddress ?? ''));
  }

  peer(instanceId: string): Peer | undefined {
    return this.peers.get(instanceId);
  }

  connectedPeers(kind?: Peer['kind']): Peer[] {
    return [...this.peers.values()].filter((p) => !kind || p.kind === kind);
  }

  /** Waits until the instance's peer is connected (or the timeout passes). */
  async waitFor(instanceId: string, timeoutMs: number): Promise<Peer> {
    const existing = this.peers.get(instanceId);
    if (existing) return existing;
    return new Promise((resolve, reject) => {
      const onConnected = (peer: Peer) => {
        if (peer.instanceId !== instanceId) return;
        clearTimeout(timer);
        this.off('connected', onConnected);
        resolve(peer);
      };
      const timer = setTimeout(() => {
        this.off('connected', onConnected);
        reject(new Error(`instance ${instanceId} did not connect within ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      this.on('connected', onConnected);
    });
  }

  async request<T = unknown>(instanceId: string, request: Request, timeoutMs: number): Promise<T> {
    const peer = this.peers.get(instanceId);
    if (!peer) throw new Error(`instance ${instanceId} is not connected`);
    const reqId = this.nextReqId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(reqId);
        reject(new Error(`instance ${instanceId} did not answer "${request.op}" within ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      this.pending.set(reqId, { instanceId, socket: peer.socket, op: request.op, resolve: resolve as (v: unknown) => void, reject, timer });
      peer.socket.send(JSON.stringify({ type: 'request', reqId, ...request }));
    });
  }

  close(): void {
    for (const peer of this.peers.values()) peer.socket.terminate();
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error('server is stopping'));
    }
    this.pending.clear();
    this.wss.close();
  }

  private accept(ws: WebSocket, address: string): void {
    let peer: Peer | undefined;
    const helloTimer = setTimeout(() => ws.terminate(), 10_000);
    ws.on('message', async (data) => {
      let message: ToServer;
      try {
        message = JSON.parse(String(data)) as ToServer;
      } catch {
        return;
      }
      if (!peer) {
        if (message.type !== 'hello') return;
        clearTimeout(helloTimer);
        const kind = typeof message.instanceId === 'string' && typeof message.token === 'string'
          ? await this.verify(message.instanceId, message.token) : undefined;
        if (!kind) {
          ws.close(4001, 'unknown instance or bad token');
          return;
        }
        // An app instance claiming to be a router would be sent every app's route table.
        if (message.kind !== kind) {
          ws.close(4003, `instance ${message.instanceId} is not a ${String(message.kind).slice(0, 20)}`);
          return;
        }
        const port = kind === 'router' && Number.isInteger(message.port) ? message.port : undefined;
        peer = { instanceId: message.instanceId, kind, pid: Number.isInteger(message.pid) ? message.pid : 0, port, address, socket: ws, lastHeardAt: Date.now() };
        const previous = this.peers.get(peer.instanceId);
        if (previous && previous.socket !== ws) previous.socket.terminate();
        this.peers.set(peer.instanceId, peer);
        // A token used in hello was the one it was given last time; a replacement is offered now.
        await this.tokens?.confirm(peer.instanceId, message.token);
        const token = await this.tokens?.offer(peer.instanceId);
        ws.send(JSON.stringify({ type: 'welcome', serverId: this.serverId, metricsIntervalMs: this.metricsIntervalMs, ...(token ? { token } : {}) } satisfies WelcomeMessage));
        this.emit('connected', peer, message);
        return;
      }
      this.dispatch(peer, message);
    });
    ws.on('close', () => {
      clearTimeout(helloTimer);
      // What was asked on this connection fails now, not at its timeout (a deploy must not wait
      // a minute for an instance that went away).
      for (const [reqId, pending] of this.pending) {
        if (pending.socket !== ws) continue;
        this.pending.delete(reqId);
        clearTimeout(pending.timer);
        pending.reject(new Error(`instance ${pending.instanceId} went away before it answered "${pending.op}"`));
      }
      if (peer && this.peers.get(peer.instanceId)?.socket === ws) {
        this.peers.delete(peer.instanceId);
        this.emit('disconnected', peer);
      }
    });
    ws.on('error', () => ws.terminate());
  }

  private dispatch(peer: Peer, message: ToServer): void {
    peer.lastHeardAt = Date.now();
    switch (message.type) {
      case 'reply': {
        const pending = this.pending.get(message.reqId);
        if (!pending || pending.instanceId !== peer.instanceId) return;
        this.pending.delete(message.reqId);
        clearTimeout(pending.timer);
        if (message.ok) pending.resolve(message.result);
        else pending.reject(new Error(message.error ?? 'request failed'));
        return;
      }
      case 'process':
        this.emit('process', peer, message.process);
        return;
      case 'log':
        this.emit('log', peer, message);
        return;
      case 'heartbeat':
        this.emit('heartbeat', peer, message);
        return;
      case 'metrics':
        this.emit('metrics', peer, message);
        return;
      case 'token-ack':
        if (typeof message.token === 'string') void this.tokens?.confirm(peer.instanceId, message.token).catch(() => {});
        return;
    }
  }
}
