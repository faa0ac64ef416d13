// scalarium-router, assembled: the last persisted table, the proxy server, and the connection out
// to the control plane that sends new tables (configure) and drain requests (rollouts, shutdown).
// The router keeps serving its last table whenever the server is away; `main.ts` is the process
// entry, tests call `startRouter` in-process.
import type { AddressInfo } from 'node:net';
import type { Backend, Request } from '../agent/protocol.ts';
import { PeerConnection } from '../agent/peer-connection.ts';
import { createProxyServer } from './proxy.ts';
import { type DrainResult, RoutingTable, parseRouteTable } from './route-table.ts';
import { TableStore } from './table-store.ts';
import { RequestMeter } from './meter.ts';
import { AccessLog } from './access-log.ts';
import { InstanceSampler } from '../agent/usage.ts';
import path from 'node:path';

export interface RouterOptions {
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** JSON file holding the last table; without it the router starts empty after a restart. */
  statePath?: string;
  /** The control plane's agent endpoint, e.g. ws://127.0.0.1:5050/agent. Without it the router only serves its stored table. */
  serverUrl?: string;
  instanceId?: string;
  token?: string;
  /** How long shutdown waits for in-flight requests. Default 10 s. */
  shutdownGraceMs?: number;
  /** See ProxyOptions. */
  connectTimeoutMs?: number;
  trustForwarded?: boolean;
  /** Count requests for the metrics reports (default true; false only to measure what counting costs: bench/router-metrics.ts). */
  metrics?: boolean;
  /** Send an access entry per request to the server (default true; false only to measure what it costs: bench/router-metrics.ts). */
  accessLogs?: boolean;
  /** Operational messages (table installs, connection trouble); never per request. */
  log?: (line: string) => void;
}

export interface RunningRouter {
  host: string;
  port: number;
  /** http://host:port */
  url: string;
  table: RoutingTable;
  /** Stops accepting, lets in-flight requests finish (up to the grace period), then closes everything. */
  close(): Promise<void>;
}

export type TableResult = { version: number };
export type { DrainResult };

export async function startRouter(options: RouterOptions = {}): Promise<RunningRouter> {
  const log = options.log ?? (() => {});
  const host = options.host ?? '127.0.0.1';
  const table = new RoutingTable();
  const store = options.statePath ? new TableStore(options.statePath) : undefined;
  const stored = await store?.load(log);
  if (stored) {
    table.install(stored);
    log(`serving stored route table v${stored.version} (${Object.keys(stored.routes).length} hosts)`);
  }

  const meter = new RequestMeter();
  // Batches go out through the connection made below (none without a server: nobody to keep them).
  let peer: PeerConnection | undefined;
  const accessLog = new AccessLog((access) => peer?.send({ type: 'log', access }), log);
  const instanceUsage = new InstanceSampler(options.statePath ? path.dirname(options.statePath) : process.cwd());
  const { server, proxy } = createProxyServer(table, {
    connectTimeoutMs: options.connectTimeoutMs,
    trustForwarded: options.trustForwarded,
    meter: options.metrics === false ? undefined : meter,
    accessLog: options.accessLogs === false || !options.serverUrl ? undefined : accessLog,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => log(`router server error: ${error.message}`));
  const port = (server.address() as AddressInfo).port;

  async function installTable(value: unknown): Promise<TableResult> {
    const next = parseRouteTable(value);
    if (!table.install(next)) return { version: table.version };
    log(`installed route table v${next.version} (${Object.keys(next.routes).length} hosts)`);
    if (store) {
      // Serving has already switched; a disk problem only costs the table surviving a restart.
      await store.save(next).catch((error: Error) => log(`could not persist route table: ${error.message}`));
    }
    return { version: table.version };
  }

  async function onRequest(request: Request): Promise<unknown> {
    switch (request.op) {
      case 'table':
        return installTable(request.table);
      case 'drain':
        return drain(table, request.backends, request.timeoutMs);
      default:
        throw new Error(`unsupported op ${JSON.stringify((request as { op?: unknown }).op)}`);
    }
  }

  peer = options.serverUrl
    ? new PeerConnection({
        url: options.serverUrl,
        hello: () => ({
          kind: 'router',
          instanceId: options.instanceId ?? '',
          token: options.token ?? '',
          pid: process.pid,
          port,
          tableVersion: table.version,
          ...(process.env.SCALARIUM_ADVERTISE_ADDRESS ? { address: process.env.SCALARIUM_ADVERTISE_ADDRESS } : {}),
        }),
        onRequest,
        onConnected: () => log(`connected to ${options.serverUrl}`),
        metrics: () => ({ routes: meter.take(), instance: instanceUsage.sample() }),
        log,
      })
    : undefined;
  peer?.start();

  let closing: Promise<void> | undefined;
  async function shutdown(): Promise<void> {
    accessLog.flush();
    peer?.stop();
    proxy.closing = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    const idle = await proxy.whenIdle(options.shutdownGraceMs ?? 10_000);
    if (!idle) log(`shutting down with ${proxy.active} requests still in flight`);
    server.closeAllConnections();
    proxy.destroy();
    await closed;
    await store?.idle();
  }

  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    host,
    port,
    url: `http://${shownHost}:${port}`,
    table,
    close: () => (closing ??= shutdown()),
  };
}

function drain(table: RoutingTable, backends: unknown, timeoutMs: unknown): Promise<DrainResult> {
  if (!Array.isArray(backends)) throw new Error('drain: backends must be an array');
  const list: Backend[] = backends.map((b: unknown) => {
    const { host, port } = (b ?? {}) as { host?: unknown; port?: unknown };
    if (typeof host !== 'string' || typeof port !== 'number') throw new Error('drain: backends must be { host, port }');
    return { host, port };
  });
  const ms = typeof timeoutMs === 'number' && Number.isFinite(timeoutMs) ? Math.max(0, timeoutMs) : 30_000;
  return table.waitDrained(list, ms);
}
