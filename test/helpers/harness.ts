// createTestScalarium: the real server (core, plugins, HTTP API, agent hub, SQLite) started inside
// the test process on a temp dir and an ephemeral port, with its instances provided by the null
// provider (plugins/provider-null): FAKE in-process instances, so no agent, router or app process
// is spawned. Each call is a server of its own; close() removes everything it made.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startServer, type RunningServer } from '../../server/main.ts';
import { builtinPlugins } from '../../plugins/builtin.ts';
import { loadConfig } from '../../server/core/config.ts';
import type { Plugin, Scalarium } from '../../server/core/scalarium.ts';
import { openDatabase } from '../../server/db/knex.ts';
import { ensureCluster } from '../../server/db/instances.ts';
import { requireApp } from '../../server/core/app-service.ts';
import { runChange } from '../../server/deploy/orchestrator.ts';
import { getConfig } from '../../server/db/apps.ts';
import { newToken, principalForToken } from '../../server/db/identity.ts';
import type { Release } from '../../server/db/releases.ts';
import { nullCloud, PROVIDER, type NullCloud } from '../../plugins/provider-null/index.ts';
import { serverDirs } from './dirs.ts';
import { apiRequest } from './api.ts';

const NULL_PLUGIN = fileURLToPath(new URL('../../plugins/provider-null/index.ts', import.meta.url));
const QUIET_MS = 30;
const MAX_SETTLE_MS = 5000;

export interface TestScalarium {
  /** http://127.0.0.1:PORT: API, UI and git. */
  url: string;
  /** The admin's API token. */
  token: string;
  scalarium: Scalarium;
  /** The null provider's fake instances and the script they follow. */
  cloud: NullCloud;
  /** Everything the server logged (its stdout, in production). */
  output(): string;
  /** A request to the API as the admin (or with another token); the body is parsed JSON when it is JSON. */
  api<T = any>(method: string, apiPath: string, body?: unknown, token?: string): Promise<{ status: number; body: T }>;
  /**
   * Makes a release of `processTypes` with the app's config vars and rolls it out through the real
   * release and deploy path — without a build: its slug does not exist (the fake instances never
   * fetch it). For tests that need an app with releases and processes but no buildpack run.
   */
  deployFakeRelease(app: string, spec: { processTypes: Record<string, string>; commit?: string; description?: string }): Promise<Release>;
  close(): Promise<void>;
}

export interface TestScalariumOptions {
  /** More SCALARIUM_* settings (see loadConfig); the harness's own win where they clash. */
  env?: Record<string, string>;
  /** The plugins instead of the built-in list (the null provider is added to them). */
  plugins?: Plugin[];
}

export async function createTestScalarium(options: TestScalariumOptions = {}): Promise<TestScalarium> {
  if (process.env.DATABASE_URL) throw new Error('createTestScalarium runs on SQLite: unset DATABASE_URL');
  // The local provider's firewall guard (loaded with every server) reads this from the process: no
  // app process runs here, so there are no app ports to close, and tests leave the host's firewall alone.
  process.env.SCALARIUM_FIREWALL_APP_PORTS ??= '0';
  const dirs = serverDirs('scalarium-harness-');
  const token = newToken();
  const lines: string[] = [];
  let running: RunningServer | undefined;
  try {
    // The server ensures a default cluster of the local provider, which spawns agents. Recorded
    // beforehand as a null cluster, it is found and kept: the default cluster's instances are fakes.
    fs.mkdirSync(dirs.dataDir, { mode: 0o700 });
    const db = await openDatabase(dirs.dataDir, '');
    await ensureCluster(db, 'local', PROVIDER).finally(() => db.destroy());

    const env: NodeJS.ProcessEnv = {
      ...options.env, ...dirs.env, SCALARIUM_HOST: '127.0.0.1', SCALARIUM_PORT: '0', SCALARIUM_ROUTER_PORT: '0',
      SCALARIUM_ADMIN_TOKEN: token, SCALARIUM_SERVER_ID: `harness-${crypto.randomBytes(3).toString('hex')}`, SCALARIUM_PLUGINS: NULL_PLUGIN,
    };
    running = await startServer(loadConfig(env), options.plugins ?? builtinPlugins(), (line) => void lines.push(line));
  } catch (error) {
    dirs.remove();
    throw new Error(`the test server did not start: ${(error as Error).message}\n${lines.join('\n')}`, { cause: error });
  }
  const server = running;
  const { scalarium } = server;
  const cloud = nullCloud(scalarium);
  refuseRealInstances(scalarium);
  const quiet = watchQuiet(scalarium, cloud);
  // The server says "ready" with work it set off still running (the default cluster's configure):
  // tests start once it has ended.
  await quiet();
  let closed: Promise<void> | undefined;

  return {
    url: server.url,
    token,
    scalarium,
    cloud,
    output: () => lines.join('\n'),
    api: (method, apiPath, body, useToken = token) => apiRequest(server.url, useToken, method, apiPath, body),
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
    close() {
      closed ??= (async () => {
        // A boot a test left waiting goes on, and the work it set off ends, before the server stops.
        cloud.release();
        await quiet();
        await server.close();
        dirs.remove();
      })();
      return closed;
    },
  };
}

/**
 * Waits until the server is done with what it set off in the background (boots, configure and
 * deploy events, the database work between them), which nothing awaits: no boot under way, no
 * request at a fake, no query in flight, for QUIET_MS together (at most MAX_SETTLE_MS). Stopping
 * the server in the middle of such work would cut it off, with errors from a closed database.
 */
function watchQuiet(scalarium: Scalarium, cloud: NullCloud): () => Promise<void> {
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
  const idle = () => !cloud.busy && queries.size === 0 && Date.now() - Math.max(lastQueryAt, cloud.lastActivityAt) >= QUIET_MS;
  return async () => {
    const deadline = Date.now() + MAX_SETTLE_MS;
    while (!idle()) {
      if (Date.now() > deadline) return scalarium.say(`harness: still busy after ${MAX_SETTLE_MS} ms (${queries.size} queries, ${cloud.busy ? 'fakes busy' : 'fakes idle'})`);
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
