// createTestScalarium: the real server (core, plugins, HTTP API, agent hub, SQLite) started inside
// the test process on a temp dir and an ephemeral port. By default its instances are provided by the
// null provider (plugins/provider-null): FAKE in-process instances, so no agent, router or app
// process is spawned. With `instances: 'local'` they are the local provider's real ones: agents, a
// router and app processes on this host, as `scalarium-server start` runs them — only the server is
// in the test process. Each call is a server of its own; close() removes everything it made.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startServer, type RunningServer } from '../../server/main.ts';
import { builtinPlugins } from '../../plugins/builtin.ts';
import { loadConfig, type ServerConfig } from '../../server/core/config.ts';
import type { Plugin, Scalarium } from '../../server/core/scalarium.ts';
import { openDatabase } from '../../server/db/knex.ts';
import { ensureCluster } from '../../server/db/instances.ts';
import { requireApp } from '../../server/core/app-service.ts';
import { runChange } from '../../server/deploy/orchestrator.ts';
import { getConfig } from '../../server/db/apps.ts';
import { newToken, principalForToken } from '../../server/db/identity.ts';
import type { Release } from '../../server/db/releases.ts';
import { nullCloud, PROVIDER, type NullCloud } from '../../plugins/provider-null/index.ts';
import { stopAllLocalInstances } from '../../plugins/provider-local/index.ts';
import { serverDirs } from './dirs.ts';
import { apiRequest } from './api.ts';

const NULL_PLUGIN = fileURLToPath(new URL('../../plugins/provider-null/index.ts', import.meta.url));
const QUIET_MS = 30;
const MAX_SETTLE_MS = 5000;

interface HarnessServer {
  /** http://127.0.0.1:PORT: API, UI and git. */
  url: string;
  /** The admin's API token. */
  token: string;
  scalarium: Scalarium;
  /** The server's own folder (SQLite, repos, slugs, secret.key; 0700). */
  dataDir: string;
  /** Where apps and builds work (outside the data dir). */
  appsDir: string;
  /**
   * Everything the server logged (its stdout, in production), and what was written to the test
   * process's stderr while it ran: the server's internal errors go there (its stderr, in production).
   */
  output(): string;
  /** A request to the API as the admin (or with another token); the body is parsed JSON when it is JSON. */
  api<T = any>(method: string, apiPath: string, body?: unknown, token?: string): Promise<{ status: number; body: T }>;
  close(): Promise<void>;
}

/** A server whose instances are FAKES (the null provider). */
export interface TestScalarium extends HarnessServer {
  /** The null provider's fake instances and the script they follow. */
  cloud: NullCloud;
  /**
   * Makes a release of `processTypes` with the app's config vars and rolls it out through the real
   * release and deploy path — without a build: its slug does not exist (the fake instances never
   * fetch it). For tests that need an app with releases and processes but no buildpack run.
   */
  deployFakeRelease(app: string, spec: { processTypes: Record<string, string>; commit?: string; description?: string }): Promise<Release>;
}

/** A server whose instances are real local processes: apps answer through the router. */
export interface LocalTestScalarium extends HarnessServer {
  /** The port the local router listens on (http://<app>.localhost:PORT/). */
  routerPort: number;
}

export interface TestScalariumOptions {
  /**
   * More SCALARIUM_* settings (see loadConfig); the harness's own win where they clash. They are
   * also set on process.env while the server runs, for the settings the server reads from its
   * process (SCALARIUM_OUTBOUND_ALLOW, SCALARIUM_SANDBOX, limits…): servers alive at the same time
   * in one test process must agree on them.
   */
  env?: Record<string, string>;
  /** The plugins instead of the built-in list (the null provider is added to them, with null instances). */
  plugins?: Plugin[];
  /** 'null' (the default): FAKE in-process instances. 'local': real agents, router and app processes. */
  instances?: 'null' | 'local';
}

export async function createTestScalarium(options?: TestScalariumOptions & { instances?: 'null' }): Promise<TestScalarium>;
export async function createTestScalarium(options: TestScalariumOptions & { instances: 'local' }): Promise<LocalTestScalarium>;
export async function createTestScalarium(options: TestScalariumOptions = {}): Promise<TestScalarium | LocalTestScalarium> {
  if (process.env.DATABASE_URL) throw new Error('createTestScalarium runs on SQLite: unset DATABASE_URL');
  const local = options.instances === 'local';
  const releaseEnv = holdProcessEnv({
    // The local provider's firewall guard (loaded with every server) reads this from the process.
    // Without app processes there are no app ports to close, and tests leave the host's firewall
    // alone; with them, the ports are closed as in production (and the rule of this server's uids
    // goes at close()).
    ...(local ? {} : { SCALARIUM_FIREWALL_APP_PORTS: process.env.SCALARIUM_FIREWALL_APP_PORTS ?? '0' }),
    ...options.env,
  });
  const dirs = serverDirs('scalarium-harness-');
  const token = newToken();
  const lines: string[] = [];
  let config: ServerConfig;
  try {
    config = loadConfig({
      ...options.env, ...dirs.env, SCALARIUM_HOST: '127.0.0.1', SCALARIUM_PORT: '0', SCALARIUM_ROUTER_PORT: '0',
      SCALARIUM_ADMIN_TOKEN: token, SCALARIUM_SERVER_ID: `harness-${crypto.randomBytes(3).toString('hex')}`,
      ...(local ? {} : { SCALARIUM_PLUGINS: NULL_PLUGIN }),
    });
  } catch (error) {
    dirs.remove();
    releaseEnv();
    throw error;
  }
  // What close() undoes once the server has stopped, also after a failed start.
  const removeAll = async () => {
    if (local) {
      await stopAllLocalInstances(dirs.dataDir);
    }
    dirs.remove();
    releaseEnv();
  };
  const stopTee = teeStderr((text) => void lines.push(text.replace(/\n$/, '')));
  let running: RunningServer | undefined;
  try {
    if (!local) {
      // The server ensures a default cluster of the local provider, which spawns agents. Recorded
      // beforehand as a null cluster, it is found and kept: the default cluster's instances are fakes.
      fs.mkdirSync(dirs.dataDir, { mode: 0o700 });
      const db = await openDatabase(dirs.dataDir, '');
      await ensureCluster(db, 'local', PROVIDER).finally(() => db.destroy());
    }
    running = await startServer(config, options.plugins ?? builtinPlugins(), (line) => void lines.push(line));
  } catch (error) {
    stopTee();
    await removeAll();
    throw new Error(`the test server did not start: ${(error as Error).message}\n${lines.join('\n')}`, { cause: error });
  }
  const server = running;
  const { scalarium } = server;
  const cloud = local ? undefined : nullCloud(scalarium);
  if (!local) refuseRealInstances(scalarium);
  const quiet = watchQuiet(scalarium, cloud);
  // The server says "ready" with work it set off still running (the default cluster's configure):
  // tests start once it has ended.
  await quiet();
  let closed: Promise<void> | undefined;

  const common: HarnessServer = {
    url: server.url,
    token,
    scalarium,
    dataDir: dirs.dataDir,
    appsDir: dirs.appsDir,
    output: () => lines.join('\n'),
    api: (method, apiPath, body, useToken = token) => apiRequest(server.url, useToken, method, apiPath, body),
    close() {
      closed ??= (async () => {
        // A boot a test left waiting goes on, and the work it set off ends, before the server stops.
        cloud?.release();
        await quiet();
        await server.close();
        stopTee();
        // As `scalarium-server stop-instances`: agents, router and apps, their cgroups and firewall chains.
        await removeAll();
      })();
      return closed;
    },
  };
  if (!cloud) {
    const routerPort = Number(/router listening on http:\/\/[^\s]+:(\d+)/.exec(common.output())?.[1]);
    if (!routerPort) {
      await common.close();
      throw new Error(`the test server started no router:\n${lines.join('\n')}`);
    }
    return { ...common, routerPort };
  }
  return {
    ...common,
    cloud,
    async deployFakeRelease(name, spec) {
      const app = await requireApp(scalarium, name);
      const principal = await principalForToken(scalarium.db, token);
      if (!principal) throw new Error('the admin token no longer works');
      const slug = crypto.createHash('sha256').update(`no slug: ${name} ${JSON.stringify(spec)}`).digest('hex');
      // No source: the orchestrator skips the build, as it does for a rollback; no branch is moved.
      return runChange(scalarium, {
        app, principal, output: { line: () => {} }, purpose: 'test release',
        draft: async () => ({
          slug, commit: spec.commit ?? null, buildId: null, config: await getConfig(scalarium.db, app.id), processTypes: spec.processTypes,
          description: spec.description ?? (spec.commit ? `Deploy ${spec.commit.slice(0, 7)}` : 'Deploy'), timings: {}, createdBy: principal.user.name,
        }),
      });
    },
  };
}

/**
 * Waits until the server is done with what it set off in the background (boots, configure and
 * deploy events, the database work between them), which nothing awaits: no boot under way, no
 * request at a fake (with fakes), no query in flight, for QUIET_MS together (at most MAX_SETTLE_MS). Stopping
 * the server in the middle of such work would cut it off, with errors from a closed database.
 */
function watchQuiet(scalarium: Scalarium, cloud: NullCloud | undefined): () => Promise<void> {
  const queries = new Set<string>();
  let lastQueryAt = Date.now();
  scalarium.db.on('query', (query: { __knexQueryUid: string; sql: string }) => {
    // knex reports no response to a transaction's own statements (COMMIT…): they only count as activity.
    if (!/^(begin|commit|rollback|savepoint|release)\b/i.test(query.sql)) queries.add(query.__knexQueryUid);
    lastQueryAt = Date.now();
  });
  const done = (_: unknown, query: { __knexQueryUid: string }) => {
    queries.delete(query.__knexQueryUid);
    lastQueryAt = Date.now();
  };
  scalarium.db.on('query-response', done).on('query-error', done);
  const idle = () => !cloud?.busy && queries.size === 0 && Date.now() - Math.max(lastQueryAt, cloud?.lastActivityAt ?? 0) >= QUIET_MS;
  return async () => {
    const deadline = Date.now() + MAX_SETTLE_MS;
    while (!idle()) {
      if (Date.now() > deadline) return scalarium.say(`harness: still busy after ${MAX_SETTLE_MS} ms (${queries.size} queries${cloud ? `, ${cloud.busy ? 'fakes busy' : 'fakes idle'}` : ''})`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
}

/**
 * Every provider but the null one stays loaded (clusters of theirs can be created, listed and
 * destroyed) but starts nothing: a cluster of the local provider would spawn agents and a router,
 * one of ec2 would call a cloud. Their reconciling fails with this message in the server log.
 */
function refuseRealInstances(scalarium: Scalarium): void {
  for (const name of [...scalarium.providers.keys()].filter((n) => n !== PROVIDER)) {
    scalarium.providers.set(name, {
      name,
      async ensureInstances() {
        throw new Error(`the test harness starts no instances of provider "${name}" (only "${PROVIDER}")`);
      },
      async terminate() {
        // it started none
      },
    });
  }
}

/** The process environment variables live servers set: the value, what it was before, how many hold it. */
const heldEnv = new Map<string, { value: string | undefined; original: string | undefined; holders: number }>();

/**
 * Sets process environment variables while servers that need them run; the original values come
 * back when the last of them is done. Two servers alive together that want different values for
 * one variable are refused: the second would silently run with the first one's.
 */
function holdProcessEnv(vars: Record<string, string | undefined>): () => void {
  const conflicts = Object.entries(vars).filter(([name, value]) => heldEnv.has(name) && heldEnv.get(name)!.value !== value);
  if (conflicts.length) {
    throw new Error(`test servers running at the same time need the same process environment; ${conflicts.map(([name, value]) => `${name}=${value ?? '(unset)'} clashes with ${heldEnv.get(name)!.value ?? '(unset)'}`).join(', ')}: close the other server first`);
  }
  for (const [name, value] of Object.entries(vars)) {
    const held = heldEnv.get(name) ?? { value, original: process.env[name], holders: 0 };
    held.holders++;
    heldEnv.set(name, held);
    setEnv(name, value);
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    for (const name of Object.keys(vars)) {
      const held = heldEnv.get(name)!;
      if (--held.holders > 0) continue;
      heldEnv.delete(name);
      setEnv(name, held.original);
    }
  };
}

function setEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

const stderrListeners = new Set<(text: string) => void>();
let writeStderr: typeof process.stderr.write | undefined;

/** Copies what the process writes to stderr to `listener` too, until the returned function is called. */
function teeStderr(listener: (text: string) => void): () => void {
  if (!writeStderr) {
    const original = process.stderr.write;
    writeStderr = original;
    process.stderr.write = function (this: typeof process.stderr, chunk: unknown, ...rest: unknown[]) {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString();
      for (const each of stderrListeners) each(text);
      return original.apply(this, [chunk, ...rest] as Parameters<typeof original>);
    } as typeof process.stderr.write;
  }
  stderrListeners.add(listener);
  return () => {
    if (!stderrListeners.delete(listener) || stderrListeners.size || !writeStderr) return;
    process.stderr.write = writeStderr;
    writeStderr = undefined;
  };
}
