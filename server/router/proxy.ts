// The data plane: an `http.createServer` request handler (and 'upgrade' handler) that forwards
// each request to a backend of its Host, chosen round-robin, through one pooled keep-alive agent.
//
// Retries make deploys and crashes invisible to clients: a request is moved to another backend
// when nothing of it can have reached the app — the connection was refused or timed out, or a
// pooled keep-alive socket turned out to be closed by the backend before it answered and no body
// byte was consumed. Anything later is a 502 (or a cut response): the app may have acted on it.
//
// This is the hot path: no per-request logging, JSON or regexes; header filtering is one pass over
// rawHeaders and bodies are piped.
import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { BackendState, RoutingTable } from './route-table.ts';
import { normalizeHost } from './route-table.ts';
import type { RequestMeter } from './meter.ts';
import type { AccessLog } from './access-log.ts';

export interface ProxyOptions {
  /** A backend that has not accepted the TCP connection by then counts as refusing. Default 5 s. */
  connectTimeoutMs?: number;
  /**
   * Keep X-Forwarded-Proto / X-Forwarded-Host sent by the client (set when a load balancer that
   * terminates TLS is the only thing that can reach the router). Default false: they are replaced.
   */
  trustForwarded?: boolean;
  /** Counts each request of a routed host (the router reports them as metrics). */
  meter?: RequestMeter;
  /** Gets one entry per request of a routed host (the apps' router log lines). */
  accessLog?: AccessLog;
}

/** Stale pooled sockets are retried on a fresh attempt at most this often per request. */
const MAX_STALE_RETRIES = 2;

const DUPLICATE_HOST = 'Bad Request: more than one Host header';

export class Proxy {
  /** The one agent every proxied request goes through: pooled keep-alive connections. */
  readonly agent = new http.Agent({
    keepAlive: true,
    maxSockets: 256,
    maxFreeSockets: 64,
    scheduling: 'lifo',
    // Idle pooled sockets are closed after this long, or earlier when the backend announces a
    // shorter `Keep-Alive: timeout=N` (Node honours the hint only when a timeout is set).
    timeout: 60_000,
  });
  /** Requests being proxied right now. */
  active = 0;
  /** Set at shutdown: responses then close their client connection instead of keeping it. */
  closing = false;
  readonly connectTimeoutMs: number;
  readonly trustForwarded: boolean;
  readonly meter: RequestMeter | undefined;
  readonly accessLog: AccessLog | undefined;
  private readonly upgraded = new Set<Duplex>();
  private idleWaiters: Array<() => void> = [];

  constructor(
    readonly table: RoutingTable,
    options: ProxyOptions = {},
  ) {
    this.connectTimeoutMs = options.connectTimeoutMs ?? 5000;
    this.trustForwarded = options.trustForwarded ?? false;
    this.meter = options.meter;
    this.accessLog = options.accessLog;
  }

  /** The 'request' listener. */
  readonly handleRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const now = Date.now();
    if (this.closing) res.shouldKeepAlive = false;
    const fwd = forwardHeaders(req, now, false, this.trustForwarded);
    if (fwd.duplicateHost) {
      // RFC 9112 §3.2: we would route by one Host while the app might read the other.
      res.shouldKeepAlive = false;
      sendError(res, 400, DUPLICATE_HOST);
      return;
    }
    const name = normalizeHost(fwd.host);
    const route = this.table.route(name);
    if (route === undefined) {
      sendError(res, 404, `No app is served at ${fwd.host === '' ? '(no Host header)' : name}`);
      return;
    }
    const backend = this.table.pick(route, now);
    if (backend === undefined) {
      sendError(res, 503, `The app at ${name} has no process ready to serve this request. Try again shortly.`);
      this.meter?.record(name, 503, 0, 0);
      this.accessLog?.record(name, req.method, req.url, 503, 0, 0, req.socket.remoteAddress, Boolean((req.socket as TLSSocket).encrypted), 'H14');
      return;
    }
    this.active++;
    new Exchange(this, req, res, name, fwd.headers, fwd.hasBody).send(backend);
  };

  /** The 'upgrade' listener (WebSocket and other protocol switches): a raw TCP pass-through. */
  readonly handleUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
    const now = Date.now();
    const fwd = forwardHeaders(req, now, true, this.trustForwarded);
    socket.on('error', noop);
    if (fwd.duplicateHost) {
      sendRawError(socket, 400, DUPLICATE_HOST);
      return;
    }
    const name = normalizeHost(fwd.host);
    const route = this.table.route(name);
    if (route === undefined) {
      sendRawError(socket, 404, `No app is served at ${fwd.host === '' ? '(no Host header)' : name}`);
      return;
    }
    const backend = this.table.pick(route, now);
    if (backend === undefined) {
      sendRawError(socket, 503, `The app at ${name} has no process ready to serve this request.`);
      return;
    }
    let text = `${req.method} ${req.url} HTTP/1.1\r\n`;
    const h = fwd.headers;
    for (let i = 0; i < h.length; i += 2) text += `${h[i]}: ${h[i + 1]}\r\n`;
    text += '\r\n';
    this.tunnel(socket, name, backend, text, head, []);
  };

  /** Resolves true once no request is being proxied, false if `timeoutMs` passes first. */
  whenIdle(timeoutMs: number): Promise<boolean> {
    if (this.active === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.idleWaiters.push(done);
    });
  }

  /** Drops pooled backend connections and open tunnels. */
  destroy(): void {
    for (const socket of this.upgraded) socket.destroy();
    this.upgraded.clear();
    this.agent.destroy();
  }

  /** @internal called by Exchange when a request is over. */
  finished(): void {
    if (--this.active === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const done of waiters) done();
    }
  }

  private tunnel(client: Duplex, name: string, backend: BackendState, head: string, body: Buffer, tried: BackendState[]): void {
    const upstream = net.connect({ host: backend.host, port: backend.port });
    let connected = false;
    const timer = setTimeout(() => upstream.destroy(new Error('connect timeout')), this.connectTimeoutMs);
    const onClientClose = (): void => {
      upstream.destroy();
    };
    client.once('close', onClientClose);
    upstream.once('connect', () => {
      clearTimeout(timer);
      connected = true;
      upstream.setNoDelay(true);
      if (client.destroyed) return void upstream.destroy();
      this.upgraded.add(client);
      upstream.write(head);
      if (body.length > 0) upstream.write(body);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => {
      clearTimeout(timer);
      if (connected || client.destroyed) return;
      client.off('close', onClientClose);
      const now = Date.now();
      this.table.eject(backend, now);
      tried.push(backend);
      const next = this.table.pickExcept(name, tried, now);
      if (next) this.tunnel(client, name, next, head, body, tried);
      else sendRawError(client, 502, `The app at ${name} did not answer.`);
    });
    upstream.on('close', () => {
      clearTimeout(timer);
      if (connected) {
        this.upgraded.delete(client);
        client.destroy();
      }
    });
  }
}

/** One proxied request, across its attempts. */
class Exchange {
  private backend: BackendState | undefined;
  private upstream: http.ClientRequest | undefined;
  private tried: BackendState[] | undefined;
  private staleRetries = 0;
  private connected = false;
  private response: http.IncomingMessage | undefined;
  private over = false;
  private startedAt = 0;
  private bytesBefore = 0;
  /** Set when the router answered itself because the app did not (the access line's error code). */
  private code: string | undefined;

  constructor(
    private readonly proxy: Proxy,
    private readonly req: http.IncomingMessage,
    private readonly res: http.ServerResponse,
    private readonly name: string,
    private readonly headers: string[],
    private readonly hasBody: boolean,
  ) {
    res.once('close', () => this.onClientClose());
    if (proxy.meter || proxy.accessLog) {
      this.startedAt = performance.now();
      // Bytes as the socket counts them (one exchange at a time per HTTP/1.1 connection).
      this.bytesBefore = req.socket.bytesWritten;
    }
  }

  send(backend: BackendState): void {
    const { proxy, req } = this;
    this.backend = backend;
    this.connected = false;
    proxy.table.acquire(backend);
    let upstream: http.ClientRequest;
    try {
      upstream = http.request({
        host: backend.host,
        port: backend.port,
        method: req.method,
        path: req.url,
        headers: this.headers,
        agent: proxy.agent,
      });
    } catch {
      // Node refused the request line or a header: nothing was sent anywhere.
      this.release();
      sendError(this.res, 400, 'Bad request');
      return;
    }
    this.upstream = upstream;
    upstream.on('socket', (socket: net.Socket) => {
      if (upstream !== this.upstream) return;
      if (!socket.connecting) return this.onConnected(upstream);
      const timer = setTimeout(() => upstream.destroy(new Error('connect timeout')), proxy.connectTimeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        if (upstream === this.upstream) this.onConnected(upstream);
      });
      socket.once('close', () => clearTimeout(timer));
    });
    upstream.on('response', (response: http.IncomingMessage) => this.onResponse(upstream, response));
    upstream.on('error', () => this.onError(upstream));
    // Without a body the request is complete now; a body is only piped once the connection is up,
    // so that a refused connection has consumed none of it and the request can move on.
    if (!this.hasBody) upstream.end();
  }

  private onConnected(upstream: http.ClientRequest): void {
    this.connected = true;
    if (this.hasBody && !this.over) this.req.pipe(upstream);
  }

  private onResponse(upstream: http.ClientRequest, response: http.IncomingMessage): void {
    if (upstream !== this.upstream || this.over) {
      response.resume();
      return;
    }
    this.response = response;
    const res = this.res;
    res.writeHead(response.statusCode ?? 502, response.statusMessage, responseHeaders(response.rawHeaders));
    response.pipe(res);
    response.once('close', () => {
      if (!response.complete) res.destroy();
    });
  }

  private onError(upstream: http.ClientRequest): void {
    if (upstream !== this.upstream || this.over) return;
    const backend = this.backend!;
    this.release();
    if (this.response !== undefined) {
      // E.g. the app answered early (413) and closed while the body was still being sent: a
      // complete answer is still delivered, an incomplete one is cut.
      if (!this.response.complete) this.res.destroy();
      return;
    }
    const now = Date.now();
    const refused = !this.connected;
    // A pooled socket the backend had already closed: the request never reached the app.
    const stale = this.connected && upstream.reusedSocket && !this.req.readableDidRead && this.staleRetries < MAX_STALE_RETRIES;
    if (refused || stale) {
      if (this.hasBody) this.req.unpipe(upstream);
      let next: BackendState | undefined;
      if (refused) {
        this.proxy.table.eject(backend, now);
        (this.tried ??= []).push(backend);
        next = this.proxy.table.pickExcept(this.name, this.tried, now);
      } else {
        this.staleRetries++;
        next = this.proxy.table.pickExcept(this.name, this.tried ?? [], now);
      }
      if (next !== undefined) {
        this.send(next);
        return;
      }
    }
    this.code = 'H13';
    sendError(this.res, 502, `The app at ${this.name} did not answer.`);
  }

  private onClientClose(): void {
    this.over = true;
    const { meter, accessLog } = this.proxy;
    if (meter || accessLog) {
      const status = this.res.headersSent ? this.res.statusCode : 0;
      const ms = performance.now() - this.startedAt;
      const bytes = this.req.socket.bytesWritten - this.bytesBefore;
      meter?.record(this.name, status, ms, bytes);
      const { req } = this;
      accessLog?.record(this.name, req.method, req.url, status, ms, bytes, req.socket.remoteAddress, Boolean((req.socket as TLSSocket).encrypted), this.code);
    }
    this.release();
    // The client went away before the whole response was delivered: stop the backend's work too.
    if (!this.res.writableFinished) this.upstream?.destroy();
    this.proxy.finished();
  }

  private release(): void {
    if (this.backend === undefined) return;
    this.proxy.table.release(this.backend);
    this.backend = undefined;
  }
}

interface Forward {
  /** Flat [name, value, …] list for the backend. */
  headers: string[];
  /** The Host header as sent ('' when missing). */
  host: string;
  /** More than one Host header was sent: the request must be refused. */
  duplicateHost: boolean;
  hasBody: boolean;
}

/**
 * One pass over the client's raw headers: drops hop-by-hop headers (keeps Connection/Upgrade for
 * protocol switches), replaces X-Forwarded-Proto/Host and X-Request-Start, appends the client to
 * X-Forwarded-For.
 */
function forwardHeaders(req: http.IncomingMessage, now: number, upgrade: boolean, trust: boolean): Forward {
  const raw = req.rawHeaders;
  const headers: string[] = [];
  let host = '';
  let duplicateHost = false;
  let seenHost = false;
  let forwardedFor: string | undefined;
  let forwardedProto: string | undefined;
  let forwardedHost: string | undefined;
  let connection: string | undefined;
  let upgradeTo: string | undefined;
  let hasBody = false;
  let chunked = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    const value = raw[i + 1];
    const lower = name.toLowerCase();
    switch (lower) {
      case 'host':
        // req.headers keeps the first Host, this loop would keep the last: two are refused.
        if (seenHost) duplicateHost = true;
        seenHost = true;
        host = value;
        break;
      case 'content-length':
        if (value !== '0') hasBody = true;
        break;
      case 'transfer-encoding':
        hasBody = true;
        chunked = true;
        continue;
      case 'connection':
        connection = connection === undefined ? value : `${connection}, ${value}`;
        continue;
      case 'upgrade':
        upgradeTo = value;
        continue;
      case 'keep-alive':
      case 'te':
      case 'trailer':
      case 'expect': // answered by this server already (100 Continue)
      case 'x-request-start':
        continue;
      case 'x-forwarded-for':
        forwardedFor = forwardedFor === undefined ? value : `${forwardedFor}, ${value}`;
        continue;
      case 'x-forwarded-proto':
        if (trust) forwardedProto = value;
        continue;
      case 'x-forwarded-host':
        if (trust) forwardedHost = value;
        continue;
      default:
        if (lower.startsWith('proxy-')) continue;
    }
    headers.push(name, value);
  }
  let client = req.socket.remoteAddress ?? '';
  if (client.startsWith('::ffff:')) client = client.slice(7);
  headers.push(
    'X-Forwarded-For', forwardedFor === undefined ? client : `${forwardedFor}, ${client}`,
    'X-Forwarded-Proto', forwardedProto ?? ((req.socket as TLSSocket).encrypted ? 'https' : 'http'),
    'X-Forwarded-Host', forwardedHost ?? host,
    'X-Request-Start', String(now),
  );
  if (chunked) headers.push('Transfer-Encoding', 'chunked');
  if (upgrade) headers.push('Connection', 'Upgrade', 'Upgrade', upgradeTo ?? '');
  return { headers: connection === undefined ? headers : dropNamedByConnection(headers, connection), host, duplicateHost, hasBody };
}

/** Response headers minus hop-by-hop ones. */
function responseHeaders(raw: string[]): string[] {
  const headers: string[] = [];
  let connection: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    const lower = name.toLowerCase();
    switch (lower) {
      case 'connection':
        connection = raw[i + 1];
        continue;
      case 'keep-alive':
      case 'te':
      case 'trailer':
      case 'transfer-encoding':
      case 'upgrade':
        continue;
      default:
        if (lower.startsWith('proxy-')) continue;
    }
    headers.push(name, raw[i + 1]);
  }
  return connection === undefined ? headers : dropNamedByConnection(headers, connection);
}

/** Headers that a Connection header names are hop-by-hop too ("Connection: close, X-Foo"). */
function dropNamedByConnection(headers: string[], connection: string): string[] {
  const value = connection.toLowerCase();
  if (value === 'keep-alive' || value === 'close' || value === 'upgrade') return headers;
  const named = new Set(value.split(',').map((token) => token.trim()));
  const kept: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    const lower = headers[i].toLowerCase();
    if (named.has(lower) && lower !== 'upgrade') continue;
    kept.push(headers[i], headers[i + 1]);
  }
  return kept;
}

const STATUS_TITLES: Record<number, string> = {
  400: 'Bad request',
  404: 'No such app',
  502: 'Bad gateway',
  503: 'Service unavailable',
};

function errorPage(status: number, message: string): string {
  const title = STATUS_TITLES[status] ?? 'Error';
  return `<!doctype html>\n<html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1><p>${escapeHtml(message)}</p></body></html>\n`;
}

function sendError(res: http.ServerResponse, status: number, message: string): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const body = errorPage(status, message);
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(body);
}

function sendRawError(socket: Duplex, status: number, message: string): void {
  if (socket.destroyed) return;
  const body = errorPage(status, message);
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\n` +
      `Content-Type: text/html; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `Cache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
  );
}

export function escapeHtml(text: string): string {
  let out = '';
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    let entity: string;
    switch (text.charCodeAt(i)) {
      case 38: entity = '&amp;'; break;
      case 60: entity = '&lt;'; break;
      case 62: entity = '&gt;'; break;
      case 34: entity = '&quot;'; break;
      case 39: entity = '&#39;'; break;
      default: continue;
    }
    out += text.slice(last, i) + entity;
    last = i + 1;
  }
  return last === 0 ? text : out + text.slice(last);
}

function noop(): void {}

/** An HTTP server whose every request and upgrade goes through a new Proxy over `table`. */
export function createProxyServer(table: RoutingTable, options: ProxyOptions = {}): { server: http.Server; proxy: Proxy } {
  const proxy = new Proxy(table, options);
  const server = http.createServer(proxy.handleRequest);
  server.on('upgrade', proxy.handleUpgrade);
  return { server, proxy };
}
