// The router's routing state: the RouteTable it serves (host name → ready backends), round-robin
// selection per host, passive ejection of backends that refuse connections, and the count of
// in-flight requests per backend that `drain` waits on.
//
// Hot path: `lookup` + `pick` + `acquire`/`release` run once per request. They do no allocation
// beyond the normalised host string and no Map work besides one `get`.
import type { Backend, RouteTable } from '../agent/protocol.ts';

/** One backend as the router knows it. Outlives table versions while requests are in flight. */
export interface BackendState {
  readonly host: string;
  readonly port: number;
  /** "host:port", the identity used by in-flight tracking and drain. */
  readonly key: string;
  inflight: number;
  /** Skipped by `pick` until then (epoch ms) after a connection to it failed. */
  downUntil: number;
  /** Still named by the current table. */
  live: boolean;
}

/** The backends of one host name in the current table. */
export interface HostRoute {
  readonly name: string;
  readonly backends: readonly BackendState[];
  /** Round-robin cursor. */
  next: number;
}

export interface DrainResult {
  drained: boolean;
  /** The backends that still had requests in flight when the timeout passed. */
  busy: Backend[];
}

interface DrainWaiter {
  keys: string[];
  resolve: (result: DrainResult) => void;
  timer: NodeJS.Timeout;
}

export function backendKey(backend: Backend): string {
  return `${backend.host}:${backend.port}`;
}

/**
 * Host header → route key: lowercase, without port, without a trailing dot.
 * "App.Example.COM.:8080" → "app.example.com"; "[::1]:80" → "[::1]".
 */
export function normalizeHost(raw: string): string {
  let end = raw.length;
  if (raw.charCodeAt(0) === 91 /* [ */) {
    const close = raw.indexOf(']');
    if (close !== -1) end = close + 1;
  } else {
    const colon = raw.indexOf(':');
    if (colon !== -1) end = colon;
  }
  if (end > 0 && raw.charCodeAt(end - 1) === 46 /* . */) end--;
  return (end === raw.length ? raw : raw.slice(0, end)).toLowerCase();
}

/** Checks a table received from the server or read from disk; throws on anything malformed. */
export function parseRouteTable(value: unknown): RouteTable {
  if (typeof value !== 'object' || value === null) throw new Error('table must be an object');
  const { version, routes } = value as { version?: unknown; routes?: unknown };
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) {
    throw new Error('table.version must be a non-negative integer');
  }
  if (typeof routes !== 'object' || routes === null || Array.isArray(routes)) {
    throw new Error('table.routes must be an object');
  }
  const clean: Record<string, Backend[]> = Object.create(null);
  for (const [host, backends] of Object.entries(routes as Record<string, unknown>)) {
    if (!Array.isArray(backends)) throw new Error(`table.routes["${host}"] must be an array`);
    clean[host] = backends.map((b: unknown, i) => {
      const { host: bHost, port } = (b ?? {}) as { host?: unknown; port?: unknown };
      if (typeof bHost !== 'string' || bHost === '' || typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
        throw new Error(`table.routes["${host}"][${i}] must be { host: string, port: 1..65535 }`);
      }
      return { host: bHost, port };
    });
  }
  return { version, routes: clean };
}

/** How long a backend that refused a connection is skipped (unless all of a host's are). */
const EJECT_MS = 2000;

export class RoutingTable {
  private current: RouteTable = { version: 0, routes: {} };
  private hosts = new Map<string, HostRoute>();
  /** Every backend of the current table, plus removed ones that still have requests in flight. */
  private readonly backends = new Map<string, BackendState>();
  private readonly waiters = new Set<DrainWaiter>();

  get version(): number {
    return this.current.version;
  }

  /** The table as installed (the object given to `install`). */
  get table(): RouteTable {
    return this.current;
  }

  /**
   * Installs `table` if its version is not older than the current one; returns whether it did.
   * The switch is atomic: a request either sees the old table or the new one.
   */
  install(table: RouteTable): boolean {
    if (table.version < this.current.version) return false;
    const previous = this.hosts;
    const hosts = new Map<string, HostRoute>();
    for (const backend of this.backends.values()) backend.live = false;
    for (const [rawName, list] of Object.entries(table.routes)) {
      const name = normalizeHost(rawName);
      const states: BackendState[] = hosts.get(name)?.backends.slice() ?? [];
      for (const b of list) {
        const key = backendKey(b);
        let state = this.backends.get(key);
        if (!state) {
          state = { host: b.host, port: b.port, key, inflight: 0, downUntil: 0, live: true };
          this.backends.set(key, state);
        }
        state.live = true;
        if (!states.includes(state)) states.push(state);
      }
      const old = previous.get(name);
      hosts.set(name, { name, backends: states, next: old && states.length ? old.next % states.length : 0 });
    }
    for (const [key, backend] of this.backends) {
      if (!backend.live && backend.inflight === 0) this.backends.delete(key);
    }
    this.hosts = hosts;
    this.current = table;
    return true;
  }

  /** The route for a Host header; undefined when no app is served at that host. */
  lookup(hostHeader: string): HostRoute | undefined {
    return this.hosts.get(normalizeHost(hostHeader));
  }

  /** The current route for an already normalised host name. */
  route(name: string): HostRoute | undefined {
    return this.hosts.get(name);
  }

  /**
   * Round robin over the route's backends, skipping ejected ones unless all are.
   * Returns undefined only when the route has no backend.
   */
  pick(route: HostRoute, now: number): BackendState | undefined {
    const list = route.backends;
    const n = list.length;
    if (n === 0) return undefined;
    const start = route.next;
    route.next = start + 1 >= n ? 0 : start + 1;
    for (let i = 0; i < n; i++) {
      const candidate = list[(start + i) % n];
      if (candidate.downUntil <= now) {
        if (i > 0) route.next = (start + i + 1) % n;
        return candidate;
      }
    }
    return list[start];
  }

  /**
   * The next backend to retry a request on: the host's current backends (the table may have
   * changed meanwhile) that are not in `tried`, healthy ones first, in round-robin order.
   */
  pickExcept(name: string, tried: readonly BackendState[], now: number): BackendState | undefined {
    const route = this.hosts.get(name);
    if (!route) return undefined;
    const list = route.backends;
    const n = list.length;
    let fallback: BackendState | undefined;
    for (let i = 0; i < n; i++) {
      const candidate = list[(route.next + i) % n];
      if (tried.includes(candidate)) continue;
      if (candidate.downUntil <= now) {
        route.next = (route.next + i + 1) % n;
        return candidate;
      }
      fallback ??= candidate;
    }
    return fallback;
  }

  /** Marks a backend that refused or timed out a connection: `pick` avoids it for a while. */
  eject(backend: BackendState, now: number): void {
    backend.downUntil = now + EJECT_MS;
  }

  acquire(backend: BackendState): void {
    backend.inflight++;
  }

  release(backend: BackendState): void {
    if (--backend.inflight > 0) return;
    backend.inflight = 0;
    if (!backend.live && this.backends.get(backend.key) === backend) this.backends.delete(backend.key);
    if (this.waiters.size > 0) this.checkWaiters();
  }

  /** Requests in flight to one backend. */
  inflight(backend: Backend): number {
    return this.backends.get(backendKey(backend))?.inflight ?? 0;
  }

  /**
   * Resolves once none of `backends` has a request in flight, or after `timeoutMs` with
   * `drained: false` and the backends that were still busy.
   */
  waitDrained(backends: readonly Backend[], timeoutMs: number): Promise<DrainResult> {
    const keys = backends.map(backendKey);
    if (this.busy(keys).length === 0) return Promise.resolve({ drained: true, busy: [] });
    return new Promise((resolve) => {
      const waiter: DrainWaiter = {
        keys,
        resolve,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          resolve({ drained: false, busy: this.busy(keys) });
        }, Math.max(0, timeoutMs)),
      };
      this.waiters.add(waiter);
    });
  }

  private busy(keys: readonly string[]): Backend[] {
    const busy: Backend[] = [];
    for (const key of keys) {
      const state = this.backends.get(key);
      if (state && state.inflight > 0) busy.push({ host: state.host, port: state.port });
    }
    return busy;
  }

  private checkWaiters(): void {
    for (const waiter of this.waiters) {
      if (this.busy(waiter.keys).length > 0) continue;
      clearTimeout(waiter.timer);
      this.waiters.delete(waiter);
      waiter.resolve({ drained: true, busy: [] });
    }
  }
}
