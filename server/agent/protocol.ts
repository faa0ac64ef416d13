// The wire protocol between the server and the processes that connect *out* to it over a
// WebSocket at /agent: instance agents (kind "agent") and routers (kind "router").
// Every message is one JSON object with a `type`. Requests carry a `reqId`; the peer answers each
// with exactly one `reply` of the same reqId. Both sides ignore message types they do not know, so
// either side can be upgraded first.

/** How a process proves it can take traffic. */
export interface ReadinessCheck {
  /** HTTP path probed on 127.0.0.1:PORT; web processes only. */
  path: string;
  /** Give up (and fail the process) after this long. */
  timeoutMs: number;
  /** When set, the response body must contain this text. */
  expect?: string;
}

/**
 * How a ready web process keeps proving it can take traffic: the same kind of GET, every
 * `intervalMs`; `failures` in a row take it out of the router and restart it (server/agent/liveness.ts).
 */
export interface LivenessCheck {
  path: string;
  intervalMs: number;
  failures: number;
  /** When set, the response body must contain this text. */
  expect?: string;
}

/** Everything an agent needs to run one process of a release. */
export interface ProcessSpec {
  id: string;
  app: string;
  type: string;
  release: number;
  command: string;
  env: Record<string, string>;
  slug: { sha256: string; url: string };
  /** The app's own unprivileged identity; an agent running as root refuses to start without it. */
  user?: { uid: number; gid: number };
  /** Only web processes get a readiness check; others are ready once they stay up briefly. */
  readiness?: ReadinessCheck;
  /** Web processes only, probed once ready; absent when the app turned it off (or from an older server). */
  liveness?: LivenessCheck;
}

export type ProcessState = 'starting' | 'ready' | 'crashed' | 'failed' | 'stopped';

export interface ProcessReport {
  id: string;
  app: string;
  type: string;
  release: number;
  state: ProcessState;
  port: number;
  pid?: number;
  restarts: number;
  startedAt?: string;
  reason?: string;
}

export interface Backend {
  host: string;
  port: number;
}

/** Host name → ready backends. `version` only ever grows. */
export interface RouteTable {
  version: number;
  routes: Record<string, Backend[]>;
}

// ── agent/router → server ──────────────────────────────────────────────────────────────────────
export interface HelloMessage {
  type: 'hello';
  kind: 'agent' | 'router';
  instanceId: string;
  token: string;
  pid: number;
  /** The address others reach this instance at (its processes, its router port). */
  address?: string;
  /** Agents: every process they supervise. */
  processes?: ProcessReport[];
  /** Routers: the port they listen on and the table they serve. */
  port?: number;
  tableVersion?: number;
}
export interface ProcessMessage { type: 'process'; process: ProcessReport }
/** One line an app process printed (server/agent/log-text.ts: escaped, at most 10 KB). */
export interface AppLogMessage {
  type: 'log';
  app: string;
  source: string; // e.g. "web.1", "router", "agent"
  line: string;
  at: string;
}
/**
 * One request a router proxied or answered itself (a 502, a 503), for the app's access lines: a
 * tuple, not an object, because a busy router sends thousands a second. `at`: when it ended (ms
 * since the epoch); `status` 0: the client went away before any answer; `ms`: time to the end of
 * the response; `fwd`: the client's address; `code`: set when the router answered itself, H13 (the
 * app did not answer) or H14 (no process ready).
 */
export type AccessEntry = [at: number, host: string, method: string, path: string, status: number, ms: number, bytes: number, fwd: string, https: 0 | 1, code?: string];
/** Routers batch their access entries (every 250 ms at most) instead of sending a message per request. */
export interface AccessLogMessage { type: 'log'; access: AccessEntry[] }
export type LogMessage = AppLogMessage | AccessLogMessage;
export interface HeartbeatMessage { type: 'heartbeat'; at: string; load: number[]; freeMem: number }
/** An app process's usage over the interval: CPU as % of one core (absent for its first sample), resident memory. */
export interface ProcessUsage { id: string; app: string; type: string; cpuPercent?: number; rssBytes: number }
export interface InstanceUsage {
  load1: number;
  cpus: number;
  /** Of all cores together, over the interval. */
  cpuPercent: number;
  memoryUsedBytes: number;
  memoryTotalBytes: number;
  /** Of the file system the instance's apps live on. */
  diskUsedBytes?: number;
  diskTotalBytes?: number;
}
/** One host's traffic through a router over the interval (counters since the previous report). */
export interface RouteUsage {
  requests: number;
  /** Responses by status class: [1xx, 2xx, 3xx, 4xx, 5xx]; a request the router answered itself (502, 503) counts too. */
  statuses: [number, number, number, number, number];
  /** Bytes sent to clients, headers included. */
  bytes: number;
  /** Time to the end of the response, in LATENCY_BUCKETS_MS buckets (server/router/latency-buckets.ts): index → count. */
  latency: { counts: Record<number, number>; sumMs: number };
}
/** Every 10 s: agents and routers send their instance's usage; agents their processes', routers their routes' (by host name). */
export interface MetricsMessage {
  type: 'metrics';
  at: string;
  intervalMs: number;
  instance?: InstanceUsage;
  processes?: ProcessUsage[];
  routes?: Record<string, RouteUsage>;
}
export interface ReplyMessage { type: 'reply'; reqId: number; ok: boolean; error?: string; result?: unknown }

// ── server → agent/router ──────────────────────────────────────────────────────────────────────
/** `token` replaces the one the instance connected with (its user-data token is meant for one use). */
export interface WelcomeMessage { type: 'welcome'; serverId: string; token?: string; metricsIntervalMs?: number }
/** The instance took the new token into use: the old one may be forgotten. */
export interface TokenAckMessage { type: 'token-ack'; token: string }
export type Request =
  | { op: 'start'; spec: ProcessSpec }
  | { op: 'stop'; ids: string[]; graceMs: number }
  | { op: 'table'; table: RouteTable }
  | { op: 'drain'; backends: Backend[]; timeoutMs: number }
  | { op: 'event'; event: LifecycleEventName; payload: unknown };
export type RequestMessage = { type: 'request'; reqId: number } & Request;

export type LifecycleEventName = 'setup' | 'configure' | 'deploy' | 'undeploy' | 'shutdown';

export type ToServer = HelloMessage | ProcessMessage | LogMessage | HeartbeatMessage | MetricsMessage | ReplyMessage | TokenAckMessage;
export type ToPeer = WelcomeMessage | RequestMessage | ReplyMessage;

export const AGENT_PATH = '/agent';
