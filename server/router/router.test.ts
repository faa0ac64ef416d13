// scalarium-router against real things: backend HTTP servers, a WebSocket server playing the
// control plane, real HTTP (and WebSocket) clients. Every port is ephemeral.
import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs/promises';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket, { WebSocketServer } from 'ws';
import type { Backend, HelloMessage, ReplyMessage, Request, RouteTable } from '../agent/protocol.ts';
import { normalizeHost, RoutingTable } from './route-table.ts';
import { startRouter, type RouterOptions, type RunningRouter } from './router.ts';
import { TableStore } from './table-store.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// ── helpers ────────────────────────────────────────────────────────────────────────────────────

interface TestBackend {
  name: string;
  port: number;
  backend: Backend;
  server: http.Server;
  /** TCP connections accepted so far. */
  connections: number;
  /** Requests received so far, with their headers. */
  requests: http.IncomingHttpHeaders[];
  close(): Promise<void>;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, b: TestBackend) => void;

/** A backend that answers with its name, unless `handler` says otherwise. */
async function backend(t: ExecutionContext, name: string, handler?: Handler): Promise<TestBackend> {
  const server = http.createServer();
  const b: TestBackend = {
    name,
    port: 0,
    backend: { host: '127.0.0.1', port: 0 },
    server,
    connections: 0,
    requests: [],
    close: async () => {
      const closed = once(server, 'close');
      server.close();
      server.closeAllConnections();
      await closed;
    },
  };
  server.on('connection', () => b.connections++);
  server.on('request', (req, res) => {
    b.requests.push(req.headers);
    if (handler) return handler(req, res, b);
    req.resume();
    res.setHeader('content-type', 'text/plain');
    res.end(name);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  b.port = (server.address() as AddressInfo).port;
  b.backend = { host: '127.0.0.1', port: b.port };
  t.teardown(() => (server.listening ? b.close() : undefined));
  return b;
}

/** A port nothing listens on. */
/**
 * A port nothing listens on. Not a freed ephemeral port: with other test files running, another
 * server may be given it the moment it is closed (a test once got 426 from a WebSocket server
 * there). A privileged port below 1024 that refuses a connection now stays refused: tests only
 * ever listen on ephemeral ports.
 */
let nextLowPort = 200;
async function closedPort(): Promise<number> {
  while (nextLowPort < 1024) {
    const port = nextLowPort++;
    const refused = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(false)));
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
    });
    if (refused) return port;
  }
  throw new Error('no closed port below 1024');
}

interface ControlPlane {
  url: string;
  hellos: HelloMessage[];
  hello(): Promise<HelloMessage>;
  request(request: Request): Promise<ReplyMessage>;
  close(): Promise<void>;
}

/** A WebSocket server playing scalarium-server's /agent endpoint. */
async function controlPlane(t: ExecutionContext): Promise<ControlPlane> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/agent' });
  await once(wss, 'listening');
  const hellos: HelloMessage[] = [];
  const helloWaiters: Array<(hello: HelloMessage) => void> = [];
  const pending = new Map<number, (reply: ReplyMessage) => void>();
  let peer: WebSocket | undefined;
  let reqId = 0;
  wss.on('connection', (socket) => {
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as HelloMessage | ReplyMessage;
      if (message.type === 'hello') {
        peer = socket;
        hellos.push(message);
        for (const w of helloWaiters.splice(0)) w(message);
      } else if (message.type === 'reply') {
        pending.get(message.reqId)?.(message);
        pending.delete(message.reqId);
      }
    });
  });
  const close = async (): Promise<void> => {
    for (const client of wss.clients) client.terminate();
    await new Promise((resolve) => wss.close(resolve));
  };
  t.teardown(close);
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/agent`,
    hellos,
    hello: () => (hellos.length > 0 ? Promise.resolve(hellos[0]) : new Promise((resolve) => helloWaiters.push(resolve))),
    request: (request) => {
      if (!peer) throw new Error('no router connected');
      const id = ++reqId;
      const reply = new Promise<ReplyMessage>((resolve) => pending.set(id, resolve));
      peer.send(JSON.stringify({ type: 'request', reqId: id, ...request }));
      return reply;
    },
    close,
  };
}

async function router(t: ExecutionContext, options: RouterOptions = {}): Promise<RunningRouter> {
  const r = await startRouter({ host: '127.0.0.1', port: 0, shutdownGraceMs: 2000, ...options });
  t.teardown(() => r.close());
  return r;
}

/** A router connected to a fresh control plane that has installed `table`. */
async function routedTo(t: ExecutionContext, routes: Record<string, Backend[]>, options: RouterOptions = {}) {
  const cp = await controlPlane(t);
  const r = await router(t, { serverUrl: cp.url, instanceId: 'router-1', token: 'secret', ...options });
  await cp.hello();
  const reply = await cp.request({ op: 'table', table: { version: 1, routes } });
  t.true(reply.ok, reply.error);
  return { cp, router: r };
}

interface Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(
  port: number,
  host: string,
  options: { path?: string; method?: string; headers?: http.OutgoingHttpHeaders; body?: string | Buffer; agent?: http.Agent } = {},
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: options.path ?? '/',
        method: options.method ?? 'GET',
        headers: { ...options.headers, host },
        agent: options.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

function keepAliveAgent(t: ExecutionContext): http.Agent {
  const agent = new http.Agent({ keepAlive: true });
  t.teardown(() => agent.destroy());
  return agent;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ── routing ────────────────────────────────────────────────────────────────────────────────────

test('routes by Host, round robin across backends, with X-Forwarded headers', async (t) => {
  const a = await backend(t, 'A');
  const b = await backend(t, 'B');
  const { cp, router: r } = await routedTo(t, { 'app.test': [a.backend, b.backend] });

  const hello = cp.hellos[0];
  t.like(hello, { type: 'hello', kind: 'router', instanceId: 'router-1', token: 'secret', pid: process.pid, port: r.port, tableVersion: 0 });

  const agent = keepAliveAgent(t);
  const bodies: string[] = [];
  // The Host header is normalised: case, port and a trailing dot do not matter.
  for (const host of ['app.test', 'APP.test', 'app.test:8080', 'app.test.', 'App.Test.:80', 'app.test', 'app.test', 'app.test']) {
    const res = await request(r.port, host, { agent });
    t.is(res.status, 200);
    bodies.push(res.body);
  }
  t.deepEqual(bodies, ['A', 'B', 'A', 'B', 'A', 'B', 'A', 'B']);

  const seen = a.requests[0];
  t.is(seen.host, 'app.test');
  t.is(seen['x-forwarded-for'], '127.0.0.1');
  t.is(seen['x-forwarded-proto'], 'http');
  t.is(seen['x-forwarded-host'], 'app.test');
  const start = Number(seen['x-request-start']);
  t.true(Number.isInteger(start) && Math.abs(Date.now() - start) < 60_000, `X-Request-Start ${seen['x-request-start']}`);
});

test('hop-by-hop headers are dropped both ways; X-Forwarded-For is appended to', async (t) => {
  const a = await backend(t, 'A', (req, res) => {
    res.writeHead(200, ['Connection', 'X-Hop', 'X-Hop', '1', 'Keep-Alive', 'timeout=5', 'Proxy-Authenticate', 'x', 'X-End', '2', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2']);
    res.end('ok');
  });
  const { router: r } = await routedTo(t, { 'app.test': [a.backend] });
  const res = await request(r.port, 'app.test', {
    headers: {
      connection: 'keep-alive, X-Secret',
      'x-secret': 'hop',
      'keep-alive': 'timeout=1',
      'proxy-authorization': 'Basic eDp5',
      te: 'trailers',
      'x-forwarded-for': '203.0.113.7',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'evil.test',
      'x-request-start': '1',
      'x-kept': 'yes',
    },
  });
  t.is(res.status, 200);
  const seen = a.requests[0];
  for (const name of ['x-secret', 'keep-alive', 'proxy-authorization', 'te']) t.is(seen[name], undefined, name);
  t.is(seen['x-kept'], 'yes');
  t.is(seen['x-forwarded-for'], '203.0.113.7, 127.0.0.1');
  t.is(seen['x-forwarded-proto'], 'http', 'not trusted from the client');
  t.is(seen['x-forwarded-host'], 'app.test');
  t.not(seen['x-request-start'], '1');
  t.is(res.headers['x-hop'], undefined);
  t.is(res.headers['proxy-authenticate'], undefined);
  t.is(res.headers['x-end'], '2');
  t.deepEqual(res.headers['set-cookie'], ['a=1', 'b=2']);
});

test('unknown host → 404 naming the host, escaped', async (t) => {
  const a = await backend(t, 'A');
  const { router: r } = await routedTo(t, { 'app.test': [a.backend] });
  const res = await request(r.port, '<script>alert("x")</script>.test');
  t.is(res.status, 404);
  t.regex(String(res.headers['content-type']), /^text\/html/);
  t.true(res.body.includes('No app is served at &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;.test'), res.body);
  t.false(res.body.includes('<script>'));
  t.is(a.requests.length, 0);
});

test('known host without backends → 503', async (t) => {
  const { router: r } = await routedTo(t, { 'empty.test': [] });
  const res = await request(r.port, 'empty.test');
  t.is(res.status, 503);
  t.true(res.body.includes('empty.test'));
});

test('a refused connection is retried on the next backend (GET and POST)', async (t) => {
  const dead = { host: '127.0.0.1', port: await closedPort() };
  const a = await backend(t, 'A', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => res.end(`A:${Buffer.concat(chunks).length}`));
  });
  const { router: r } = await routedTo(t, { 'app.test': [dead, a.backend] });
  const body = Buffer.alloc(256 * 1024, 'x');
  // The first request goes to the dead backend first (round robin starts there).
  const post = await request(r.port, 'app.test', { method: 'POST', body });
  t.is(post.status, 200);
  t.is(post.body, `A:${body.length}`, 'the body was not lost by the failed attempt');
  // The refusing backend is now skipped for a while; then it is tried (and retried) again.
  for (let i = 0; i < 6; i++) {
    const get = await request(r.port, 'app.test');
    t.is(get.status, 200);
    t.is(get.body, 'A:0');
  }
  r.table.lookup('app.test')!.backends[0].downUntil = 0;
  r.table.lookup('app.test')!.next = 0;
  const get = await request(r.port, 'app.test');
  t.is(get.status, 200);
  t.is(get.body, 'A:0');
});

test('all backends refusing → 502 after trying each once', async (t) => {
  const { router: r } = await routedTo(t, {
    'app.test': [
      { host: '127.0.0.1', port: await closedPort() },
      { host: '127.0.0.1', port: await closedPort() },
    ],
  });
  const res = await request(r.port, 'app.test');
  t.is(res.status, 502);
});

test('a pooled socket closed by the backend is retried on a fresh connection', async (t) => {
  // A backend that answers the first request of each connection with keep-alive, and then drops
  // the connection when a second request arrives on it — the keep-alive race, made certain.
  let connections = 0;
  const raw = net.createServer((socket) => {
    connections++;
    let requests = 0;
    let buffered = '';
    socket.on('error', () => {});
    socket.on('data', (data) => {
      buffered += String(data);
      while (buffered.includes('\r\n\r\n')) {
        buffered = buffered.slice(buffered.indexOf('\r\n\r\n') + 4);
        if (++requests === 1) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok');
        else socket.destroy();
      }
    });
  });
  raw.listen(0, '127.0.0.1');
  await once(raw, 'listening');
  t.teardown(() => new Promise<void>((resolve) => raw.close(() => resolve())));
  const port = (raw.address() as AddressInfo).port;
  const { router: r } = await routedTo(t, { 'app.test': [{ host: '127.0.0.1', port }] });
  for (let i = 0; i < 5; i++) {
    const res = await request(r.port, 'app.test');
    t.is(res.status, 200);
    t.is(res.body, 'ok');
  }
  t.true(connections >= 5);
});

test('a backend that drops a fresh connection mid-request → 502, not retried', async (t) => {
  let hits = 0;
  const raw = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => {
      hits++;
      socket.destroy();
    });
  });
  raw.listen(0, '127.0.0.1');
  await once(raw, 'listening');
  t.teardown(() => new Promise<void>((resolve) => raw.close(() => resolve())));
  const port = (raw.address() as AddressInfo).port;
  const { router: r } = await routedTo(t, { 'app.test': [{ host: '127.0.0.1', port }] });
  const res = await request(r.port, 'app.test', { method: 'POST', body: 'charge the card' });
  t.is(res.status, 502);
  t.is(hits, 1, 'a request that reached the app is not sent again');
});

// ── control plane ──────────────────────────────────────────────────────────────────────────────

test('tables are installed by version: older ones are ignored, equal ones replace', async (t) => {
  const a = await backend(t, 'A');
  const b = await backend(t, 'B');
  const c = await backend(t, 'C');
  const cp = await controlPlane(t);
  const r = await router(t, { serverUrl: cp.url });
  await cp.hello();

  t.like(await cp.request({ op: 'table', table: { version: 5, routes: { 'app.test': [a.backend] } } }), { ok: true, result: { version: 5 } });
  t.like(await cp.request({ op: 'table', table: { version: 3, routes: { 'app.test': [b.backend] } } }), { ok: true, result: { version: 5 } });
  t.is((await request(r.port, 'app.test')).body, 'A');
  t.is(r.table.version, 5);

  t.like(await cp.request({ op: 'table', table: { version: 5, routes: { 'app.test': [c.backend] } } }), { ok: true, result: { version: 5 } });
  t.is((await request(r.port, 'app.test')).body, 'C');

  const bad = await cp.request({ op: 'table', table: { version: 6, routes: { 'app.test': [{ host: '127.0.0.1', port: 'x' }] } } as unknown as RouteTable });
  t.false(bad.ok);
  t.is(r.table.version, 5);

  const unsupported = await cp.request({ op: 'stop', ids: [], graceMs: 0 });
  t.false(unsupported.ok);
  t.regex(unsupported.error ?? '', /unsupported op/);
});

test('the table is persisted and a restarted router serves it with no server reachable', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'scalarium-router-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  const statePath = path.join(dir, 'state', 'table.json');
  const a = await backend(t, 'A');

  const cp = await controlPlane(t);
  const first = await startRouter({ host: '127.0.0.1', port: 0, statePath, serverUrl: cp.url });
  await cp.hello();
  t.true((await cp.request({ op: 'table', table: { version: 7, routes: { 'app.test': [a.backend] } } })).ok);
  await first.close();
  t.deepEqual(JSON.parse(await fs.readFile(statePath, 'utf8')), { version: 7, routes: { 'app.test': [a.backend] } });
  t.deepEqual(
    (await fs.readdir(path.dirname(statePath))).filter((f) => f !== 'table.json'),
    [],
    'no temp files left behind',
  );
  await cp.close();

  const logs: string[] = [];
  const second = await router(t, {
    statePath,
    serverUrl: `ws://127.0.0.1:${await closedPort()}/agent`,
    log: (line) => logs.push(line),
  });
  t.is(second.table.version, 7);
  const res = await request(second.port, 'app.test');
  t.is(res.status, 200);
  t.is(res.body, 'A');
});

test('a corrupt table file is ignored with a warning', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'scalarium-router-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'table.json');
  await fs.writeFile(file, '{"version": 3, "rou');
  const warnings: string[] = [];
  t.is(await new TableStore(file).load((line) => warnings.push(line)), undefined);
  t.is(warnings.length, 1);
  const r = await router(t, { statePath: file });
  t.is(r.table.version, 0);
  t.is((await request(r.port, 'app.test')).status, 404);
});

test('saves coalesce and the newest table wins on disk', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'scalarium-router-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  const store = new TableStore(path.join(dir, 'table.json'));
  await Promise.all([1, 2, 3, 4, 5].map((version) => store.save({ version, routes: {} })));
  t.is((await store.load())?.version, 5);
});

test('drain waits for an in-flight request, then resolves; times out reporting busy backends', async (t) => {
  let arrived!: () => void;
  let slowAnswered = false;
  const slowArrived = new Promise<void>((resolve) => (arrived = resolve));
  const a = await backend(t, 'A', (req, res) => {
    req.resume();
    if (req.url === '/slow') {
      arrived();
      setTimeout(() => {
        slowAnswered = true;
        res.end('slow');
      }, 600);
    } else res.end('A');
  });
  const b = await backend(t, 'B');
  const { cp, router: r } = await routedTo(t, { 'app.test': [a.backend] });

  // Nothing in flight: drained at once.
  t.like(await cp.request({ op: 'drain', backends: [a.backend], timeoutMs: 5000 }), { ok: true, result: { drained: true, busy: [] } });

  const slow = request(r.port, 'app.test', { path: '/slow' });
  await slowArrived;
  t.is(r.table.inflight(a.backend), 1);
  // The switch away from A happens first, as in a rollout; A's request keeps going.
  await cp.request({ op: 'table', table: { version: 2, routes: { 'app.test': [b.backend] } } });

  const short = await cp.request({ op: 'drain', backends: [a.backend, b.backend], timeoutMs: 50 });
  t.like(short, { ok: true, result: { drained: false, busy: [a.backend] } });

  const drained = await cp.request({ op: 'drain', backends: [a.backend], timeoutMs: 5000 });
  t.like(drained, { ok: true, result: { drained: true, busy: [] } });
  t.true(slowAnswered, 'drain waited for the slow request');
  t.is(r.table.inflight(a.backend), 0);
  t.is((await slow).body, 'slow');
});

test('a sustained request loop sees zero errors while the table switches from A to B', async (t) => {
  const a = await backend(t, 'A');
  const b = await backend(t, 'B');
  const { cp, router: r } = await routedTo(t, { 'app.test': [a.backend] });

  let running = true;
  const seen: string[] = [];
  const errors: string[] = [];
  const loop = async (): Promise<void> => {
    const agent = keepAliveAgent(t);
    while (running) {
      try {
        const res = await request(r.port, 'app.test', { agent });
        if (res.status === 200) seen.push(res.body);
        else errors.push(`${res.status} ${res.body}`);
      } catch (error) {
        errors.push((error as Error).message);
      }
    }
  };
  const loops = [loop(), loop(), loop(), loop()];
  const until = async (done: () => boolean): Promise<void> => {
    for (const deadline = Date.now() + 20_000; !done() && Date.now() < deadline; ) await sleep(10);
  };
  await until(() => seen.length >= 50);
  t.true((await cp.request({ op: 'table', table: { version: 2, routes: { 'app.test': [b.backend] } } })).ok);
  const drained = await cp.request({ op: 'drain', backends: [a.backend], timeoutMs: 5000 });
  t.like(drained, { ok: true, result: { drained: true } });
  await a.close(); // the old process stops
  const countAtStop = seen.length;
  await until(() => seen.length - countAtStop >= 100);
  running = false;
  await Promise.all(loops);

  t.deepEqual(errors, []);
  t.true(seen.includes('A') && seen.includes('B'));
  t.true(seen.length - countAtStop >= 100, 'requests kept flowing after the switch');
  t.true(seen.slice(countAtStop).every((body) => body === 'B'));
});

test('keep-alive: sequential requests reuse pooled backend connections', async (t) => {
  const a = await backend(t, 'A');
  const { router: r } = await routedTo(t, { 'app.test': [a.backend] });
  const agent = keepAliveAgent(t);
  for (let i = 0; i < 200; i++) t.is((await request(r.port, 'app.test', { agent })).status, 200);
  t.is(a.requests.length, 200);
  t.true(a.connections <= 3, `${a.connections} backend connections for 200 requests`);
  // Also when the clients do not keep their connections alive.
  for (let i = 0; i < 50; i++) t.is((await request(r.port, 'app.test')).status, 200);
  t.true(a.connections <= 3, `${a.connections} backend connections for 250 requests`);
});

test('request and response bodies stream both ways', async (t) => {
  const a = await backend(t, 'A', (req, res) => {
    res.writeHead(201, { 'content-type': 'application/octet-stream', 'x-method': req.method });
    req.pipe(res);
  });
  const { router: r } = await routedTo(t, { 'app.test': [a.backend] });
  const body = Buffer.alloc(2 * 1024 * 1024, 'abcdefgh');
  const res = await request(r.port, 'app.test', { method: 'PUT', body, headers: { 'content-type': 'application/octet-stream' } });
  t.is(res.status, 201);
  t.is(res.headers['x-method'], 'PUT');
  t.is(res.body.length, body.length);
  t.is(res.body, body.toString());
  // A chunked request body (no Content-Length) too.
  const chunked = await new Promise<string>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: r.port, method: 'POST', path: '/', headers: { host: 'app.test' }, agent: false }, (res2) => {
      let text = '';
      res2.on('data', (c) => (text += c));
      res2.on('end', () => resolve(text));
    });
    req.on('error', reject);
    req.write('one,');
    setTimeout(() => req.end('two'), 20);
  });
  t.is(chunked, 'one,two');
});

test('WebSocket upgrades are passed through', async (t) => {
  const server = http.createServer((_req, res) => res.end('http'));
  const wss = new WebSocketServer({ server });
  wss.on('connection', (socket, req) => {
    socket.send(`hello ${req.headers['x-forwarded-host']} ${req.url}`);
    socket.on('message', (data) => socket.send(`echo ${String(data)}`));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    for (const client of wss.clients) client.terminate();
    wss.close();
    server.close();
    server.closeAllConnections();
  });
  const port = (server.address() as AddressInfo).port;
  const { router: r } = await routedTo(t, {
    'ws.test': [{ host: '127.0.0.1', port: await closedPort() }, { host: '127.0.0.1', port }],
  });

  const client = new WebSocket(`ws://127.0.0.1:${r.port}/chat?room=1`, { headers: { host: 'ws.test' } });
  t.teardown(() => client.terminate());
  const messages: string[] = [];
  const two = new Promise<void>((resolve, reject) => {
    client.on('message', (data) => {
      messages.push(String(data));
      if (messages.length === 2) resolve();
    });
    client.on('error', reject);
  });
  await once(client, 'open');
  client.send('ping');
  await two;
  t.deepEqual(messages, ['hello ws.test /chat?room=1', 'echo ping']);

  const unknown = new WebSocket(`ws://127.0.0.1:${r.port}/`, { headers: { host: 'nope.test' } });
  const [, res] = (await once(unknown, 'unexpected-response')) as [unknown, http.IncomingMessage];
  t.is(res.statusCode, 404);
  res.destroy();
});

/** Writes `text` on a raw TCP connection and resolves with everything read until the router closes it. */
async function rawExchange(port: number, text: string): Promise<string> {
  const socket = net.connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  await once(socket, 'connect');
  socket.write(text);
  // A kept-alive connection would never close: end our side after a moment so the test cannot hang.
  const timer = setTimeout(() => socket.end(), 2000);
  await once(socket, 'close');
  clearTimeout(timer);
  return Buffer.concat(chunks).toString();
}

test('two Host headers → 400 and the connection is closed (RFC 9112 §3.2), requests and upgrades', async (t) => {
  const a = await backend(t, 'A');
  const b = await backend(t, 'B');
  const { router: r } = await routedTo(t, { 'a.test': [a.backend], 'b.test': [b.backend] });

  for (const [first, second] of [['a.test', 'b.test'], ['b.test', 'a.test'], ['a.test', 'a.test']]) {
    const answer = await rawExchange(r.port, `GET / HTTP/1.1\r\nHost: ${first}\r\nHost: ${second}\r\n\r\n`);
    t.regex(answer, /^HTTP\/1\.1 400 /, answer);
    t.true(answer.includes('Bad Request: more than one Host header'), answer);
    t.regex(answer, /\r\nConnection: close\r\n/i, answer);
  }
  const upgrade = await rawExchange(
    r.port,
    'GET /chat HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
      'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
  );
  t.regex(upgrade, /^HTTP\/1\.1 400 /, upgrade);
  t.true(upgrade.includes('Bad Request: more than one Host header'), upgrade);
  t.is(a.connections + b.connections, 0, 'no backend was contacted');

  // One Host header is still routed on the same kind of raw connection.
  const ok = await rawExchange(r.port, 'GET / HTTP/1.1\r\nHost: b.test\r\nConnection: close\r\n\r\n');
  t.regex(ok, /^HTTP\/1\.1 200 /, ok);
  t.true(ok.endsWith('B'), ok);
});

// ── units ──────────────────────────────────────────────────────────────────────────────────────

test('normalizeHost', (t) => {
  t.is(normalizeHost('App.Example.COM'), 'app.example.com');
  t.is(normalizeHost('app.example.com:8080'), 'app.example.com');
  t.is(normalizeHost('app.example.com.'), 'app.example.com');
  t.is(normalizeHost('app.example.com.:443'), 'app.example.com');
  t.is(normalizeHost('[::1]:8080'), '[::1]');
  t.is(normalizeHost(''), '');
});

test('round robin skips a backend that refused, until its ejection expires', (t) => {
  const table = new RoutingTable();
  const one = { host: '127.0.0.1', port: 1 };
  const two = { host: '127.0.0.1', port: 2 };
  table.install({ version: 1, routes: { 'a.test': [one, two] } });
  const route = table.lookup('A.test:80')!;
  const now = 1_000_000;
  const picks = () => [1, 2, 3, 4].map(() => table.pick(route, now)!.port);
  t.deepEqual(picks(), [1, 2, 1, 2]);
  table.eject(route.backends[0], now);
  t.deepEqual(picks(), [2, 2, 2, 2]);
  const later = [1, 2].map(() => table.pick(route, now + 60_000)!.port);
  t.deepEqual(later.sort(), [1, 2]);
});

// ── the process ────────────────────────────────────────────────────────────────────────────────

test('main.ts: prints its address, serves the stored table, finishes in-flight requests on SIGTERM', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'scalarium-router-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  let arrived!: () => void;
  const slowArrived = new Promise<void>((resolve) => (arrived = resolve));
  const a = await backend(t, 'A', (req, res) => {
    req.resume();
    arrived();
    setTimeout(() => res.end('finished'), 400);
  });
  const statePath = path.join(dir, 'table.json');
  await fs.writeFile(statePath, JSON.stringify({ version: 2, routes: { 'app.test': [a.backend] } }));

  const child = spawn(process.execPath, ['--import', 'tsx', 'server/router/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      SCALARIUM_SERVER_URL: `ws://127.0.0.1:${await closedPort()}/agent`,
      SCALARIUM_INSTANCE_ID: 'r1',
      SCALARIUM_INSTANCE_TOKEN: 't',
      SCALARIUM_ROUTER_HOST: '127.0.0.1',
      SCALARIUM_ROUTER_PORT: '0',
      SCALARIUM_ROUTER_STATE: statePath,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = once(child, 'exit');
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(out.split('\n')[0]);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
  const match = /^router listening on http:\/\/127\.0\.0\.1:(\d+)$/.exec(line);
  t.truthy(match, line);
  const port = Number(match![1]);

  const inFlight = request(port, 'app.test');
  await slowArrived;
  child.kill('SIGTERM');
  const res = await inFlight;
  t.is(res.status, 200);
  t.is(res.body, 'finished');
  const [code] = await exited;
  t.is(code, 0, stderr);
});
