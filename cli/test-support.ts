// Test support for the CLI tests (cli.test.ts, access.test.ts, clusters.test.ts): sandboxes, the in-process CLI
// runner, real git repositories and startFakeApiServer, a STAND-IN for the real Scalarium API that
// serves canned JSON shaped as in docs/api.md. Not a test file itself (ava runs *.test.ts only).
import type { ExecutionContext } from 'ava';
import Koa from 'koa';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { run, type CliIO } from './main.ts';

export const execFileAsync = promisify(execFile);
export const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
export const VERSION = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

export const TOKEN = 'sc_test_token';

// ---------------------------------------------------------------------------------------------
// helpers

export interface Sandbox {
  dir: string;
  env: Record<string, string | undefined>;
}

/** A temp dir used as HOME and XDG_CONFIG_HOME, with an environment that leaks nothing from ours. */
export async function sandbox(t: ExecutionContext, extra: Record<string, string | undefined> = {}): Promise<Sandbox> {
  const dir = await mkdtemp(join(tmpdir(), 'scalarium-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'home'));
  await mkdir(join(dir, 'work'));
  const env = {
    PATH: process.env.PATH,
    HOME: join(dir, 'home'),
    XDG_CONFIG_HOME: join(dir, 'config'),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CEILING_DIRECTORIES: dir, // never find a repository above the sandbox
    ...extra,
  };
  return { dir, env };
}

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env: Record<string, string | undefined>;
  cwd: string;
  signal?: AbortSignal;
  stderrTTY?: boolean;
  /** Called after every stdout write with everything written so far. */
  onStdout?: (all: string) => void;
  /** What the CLI reads on stdin (git-credential, login --token -). */
  stdin?: string;
}

export function collector(onWrite?: (all: string) => void) {
  let text = '';
  return {
    write(chunk: string | Uint8Array) {
      text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      onWrite?.(text);
      return true;
    },
    get text() {
      return text;
    },
  };
}

export async function cli(args: string[], options: CliOptions): Promise<Result> {
  const stdout = collector(options.onStdout);
  const stderr = collector();
  const io: CliIO = {
    stdout,
    stderr: Object.assign(stderr, { isTTY: options.stderrTTY ?? false }),
    env: options.env,
    cwd: options.cwd,
    signal: options.signal,
    ...(options.stdin !== undefined ? { stdin: Readable.from([options.stdin]) } : {}),
  };
  const code = await run(args, io);
  return { code, stdout: stdout.text, stderr: stderr.text };
}

export async function git(cwd: string, env: Record<string, string | undefined>, ...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('git', args, { cwd, env });
  return stdout.trim();
}

export async function gitRepo(t: ExecutionContext, box: Sandbox, name = 'repo'): Promise<string> {
  const dir = join(box.dir, name);
  await mkdir(dir);
  await git(dir, box.env, 'init', '--quiet');
  return dir;
}

// ---------------------------------------------------------------------------------------------
// startFakeApiServer: a STAND-IN for the real Scalarium API (server/http), which is not ready yet.
// It serves canned JSON shaped as in docs/api.md, checks `Authorization: Bearer <TOKEN>` and records
// every request so tests can check what the CLI sent.

export const SHOP = {
  name: 'shop',
  cluster: 'local',
  url: 'http://shop.localhost:8080/',
  gitUrl: 'http://127.0.0.1:5050/shop.git',
  formation: { web: 2, worker: 1 },
  release: { version: 3, commit: '1a2b3c4d5e6f7a8b9c0d1a2b3c4d5e6f7a8b9c0d', createdAt: '2026-11-28T10:00:00.000Z' },
  createdAt: '2026-11-20T09:00:00.000Z',
};
export const BLOG = { ...SHOP, name: 'blog', url: 'http://blog.localhost:8080/', gitUrl: 'http://127.0.0.1:5050/blog.git', formation: {}, release: null };
export const PROCESSES = [
  { id: 'p2', type: 'web', name: 'web.2', state: 'up', release: 3, instance: 'local-1', port: 5002, restarts: 0, startedAt: '2026-11-28T10:00:00.000Z' },
  { id: 'p1', type: 'web', name: 'web.1', state: 'up', release: 3, instance: 'local-1', port: 5001, restarts: 1, startedAt: '2026-11-28T10:00:00.000Z' },
  { id: 'p3', type: 'worker', name: 'worker.1', state: 'starting', release: 3, instance: 'local-1', port: null, restarts: 0, startedAt: null },
];
export const CONFIG = { ZED: 'last', DATABASE_URL: 'postgres://db/shop?sslmode=require', GREETING: "it's here" };
export const RELEASES = [
  { version: 3, description: 'Deploy 1a2b3c4', commit: SHOP.release.commit, slug: 'sha256-aa', processTypes: { web: 'node server.js', worker: 'node worker.js' },
    createdBy: 'admin', createdAt: '2026-11-28T10:00:00.000Z', timings: { build: 812, release: 3, deploy: 1204 }, current: true },
  { version: 2, description: 'Set GREETING', commit: SHOP.release.commit, slug: 'sha256-aa', processTypes: { web: 'node server.js' },
    createdBy: 'admin', createdAt: '2026-11-27T10:00:00.000Z', timings: {}, current: false },
];
export const LOG_LINES = '2026-11-28T10:00:00.000Z app[web.1]: listening on 5001\n2026-11-28T10:00:01.000Z app[web.2]: listening on 5002\n';

export const USERS = [
  { name: 'admin', email: null, admin: true, disabled: false, invitePending: false, createdAt: '2026-11-01T08:00:00.000Z' },
  { name: 'bob', email: 'bob@example.org', admin: false, disabled: true, invitePending: false, createdAt: '2026-11-03T08:00:00.000Z' },
  { name: 'alice', email: 'alice@example.org', admin: false, disabled: false, invitePending: true, createdAt: '2026-11-02T08:00:00.000Z' },
];
export const GRANTS = [
  { user: 'bob', scope: { kind: 'cluster', name: 'local' }, role: 'manager', ssh: true, sudo: true },
  { user: 'alice', scope: { kind: 'app', name: 'shop' }, role: 'deployer', ssh: false, sudo: false },
  { user: 'alice', scope: { kind: 'app', name: 'blog' }, role: 'viewer', ssh: false, sudo: false },
];
export const TOKENS = [
  { name: 'laptop', scope: null, role: null, createdAt: '2026-11-01T08:00:00.000Z', expiresAt: null, lastUsedAt: '2026-11-28T10:00:00.000Z', hint: 'scl_ab12…' },
  { name: 'ci', scope: { kind: 'app', name: 'shop' }, role: 'deployer', createdAt: '2026-11-02T08:00:00.000Z', expiresAt: '2027-02-01T08:00:00.000Z', lastUsedAt: null, hint: 'scl_cd34…' },
];
export const KEYS = [
  { fingerprint: 'SHA256:4KZsXkfBxbZLsmBp7HvEwLYJ1DxJ84dwt5Tz1fDrLc8', type: 'ssh-ed25519', comment: 'admin@laptop', createdAt: '2026-11-05T08:00:00.000Z' },
];
export const AUDIT = [
  { id: 2, at: '2026-11-28T10:00:00.000Z', actor: 'alice', source: 'api', action: 'config.change', target: 'shop', outcome: 'denied', detail: { keys: ['A'] } },
  { id: 1, at: '2026-11-28T09:00:00.000Z', actor: 'admin', source: 'cli', action: 'app.create', target: 'shop', outcome: 'ok', detail: null },
];
export const LOCAL_CLUSTER = {
  name: 'local',
  provider: 'local',
  settings: { credentials: null },
  roles: [{ name: 'app', count: 1 }, { name: 'router', count: 1 }],
  instances: [
    { id: 'local-1', role: 'app', state: 'online', address: '127.0.0.1', providerRef: null, failure: null, connected: true, lastSeenAt: '2026-11-28T10:00:00.000Z' },
    { id: 'local-router-1', role: 'router', state: 'online', address: '127.0.0.1', providerRef: null, failure: null, connected: true, lastSeenAt: '2026-11-28T10:00:00.000Z' },
  ],
  apps: ['shop', 'blog'],
};
export const PROD_CLUSTER = {
  name: 'prod',
  provider: 'ec2',
  settings: {
    region: 'eu-central-1', endpoint: 'https://ec2.example:8773', image: 'ami-0abc1234', instanceType: 't3.small', spot: false,
    credentials: 'stored (encrypted)',
  },
  roles: [{ name: 'router', count: 1 }, { name: 'app', count: 2 }],
  instances: [
    { id: 'prod-app-1a2b3c', role: 'app', state: 'online', address: '10.0.1.12', providerRef: 'i-0abc', failure: null, connected: true, lastSeenAt: '2026-11-28T10:00:00.000Z' },
    { id: 'prod-app-4d5e6f', role: 'app', state: 'booting', address: null, providerRef: 'i-0def', failure: null, connected: false, lastSeenAt: null },
    { id: 'prod-router-7a8b9c', role: 'router', state: 'failed', address: '10.0.1.13', providerRef: 'i-0123', failure: 'the agent did not connect within 600 s', connected: false, lastSeenAt: null },
  ],
  apps: [],
};
export const CLUSTERS = [PROD_CLUSTER, LOCAL_CLUSTER];
export const EVENTS = [
  { id: 3, instanceId: 'prod-app-4d5e6f', event: 'setup', app: null, status: 'running', output: '', durationMs: null, reason: null,
    startedAt: '2026-11-28T10:02:00.000Z', finishedAt: null },
  { id: 2, instanceId: 'prod-app-1a2b3c', event: 'deploy', app: 'shop', status: 'failed', output: 'installing\n\x1b[31mnpm ERR!\x1b[0m missing script\n',
    durationMs: 4230, reason: 'hook exited with 1', startedAt: '2026-11-28T10:01:00.000Z', finishedAt: '2026-11-28T10:01:04.230Z' },
  { id: 1, instanceId: 'prod-app-1a2b3c', event: 'configure', app: null, status: 'succeeded', output: 'router backends: 1\n', durationMs: 812, reason: null,
    startedAt: '2026-11-28T10:00:00.000Z', finishedAt: '2026-11-28T10:00:00.812Z' },
];
/** `clusters:scale prod app=3` on the fake: the new instance this adds. */
export const SCALED_INSTANCE = { id: 'prod-app-9f9f9f', role: 'app', address: '10.0.1.14', providerRef: 'i-0999', failure: null, lastSeenAt: null };

/** A valid token of a user who is not an admin: admin endpoints answer 403. */
export const VIEWER_TOKEN = 'sc_viewer_token';
export const NEW_TOKEN = 'scl_0123456789abcdefghijklmnopqrst_a1b2c3';

export interface Recorded {
  method: string;
  path: string;
  query: Record<string, unknown>;
  authorization: string | undefined;
  body: unknown;
}

type Fail = (ctx: Koa.Context, status: number, code: string, message: string, hint?: string) => void;

/** The access-control endpoints (docs/api.md, "Access control"); true when the route was one. */
function accessControl(ctx: Koa.Context, route: string, body: any, fail: Fail): boolean {
  const user = /^\/api\/users\/([^/]+)(\/invite|\/disable|\/enable)?$/.exec(ctx.path);
  const token = /^\/api\/tokens\/([^/]+)$/.exec(ctx.path);
  const key = /^\/api\/keys\/([^/]+)$/.exec(ctx.path);
  const error = (status: number, code: string, message: string, hint?: string) => {
    fail(ctx, status, code, message, hint);
    return true;
  };
  const reply = (status: number, answer?: unknown) => {
    ctx.status = status;
    if (answer !== undefined) ctx.body = answer;
    return true;
  };
  if (route === 'GET /api/users') return reply(200, USERS);
  if (route === 'POST /api/users') {
    if (USERS.some((u) => u.name === body?.name)) return error(409, 'user_exists', `A user named "${body.name}" already exists.`);
    return reply(201, {
      user: { name: body.name, email: body.email ?? null, admin: body.admin === true, disabled: false, invitePending: true, createdAt: '2026-11-28T10:00:00.000Z' },
      inviteUrl: `http://${ctx.host}/invite/inv_${body.name}_1`,
    });
  }
  if (user) {
    const [, name, action] = user;
    const found = USERS.find((u) => u.name === decodeURIComponent(name));
    if (!found) return error(404, 'user_not_found', `No user named "${decodeURIComponent(name)}".`);
    if (ctx.method === 'POST' && action === '/invite') return reply(200, { inviteUrl: `http://${ctx.host}/invite/inv_${found.name}_2` });
    if (ctx.method === 'POST' && action === '/disable') return reply(200, { ...found, disabled: true });
    if (ctx.method === 'POST' && action === '/enable') return reply(200, { ...found, disabled: false });
    if (ctx.method === 'DELETE' && !action) return reply(204);
    return false;
  }
  if (route === 'GET /api/access') {
    const { app, cluster, user: who } = ctx.query;
    return reply(200, GRANTS.filter((g) =>
      (app === undefined || (g.scope.kind === 'app' && g.scope.name === app)) &&
      (cluster === undefined || (g.scope.kind === 'cluster' && g.scope.name === cluster)) &&
      (who === undefined || g.user === who)));
  }
  if (route === 'POST /api/access') {
    const kind = body.app !== undefined ? 'app' : 'cluster';
    return reply(201, { user: body.user, scope: { kind, name: body[kind] }, role: body.role, ssh: body.ssh === true, sudo: body.sudo === true });
  }
  if (route === 'POST /api/access/revoke') return reply(204);
  if (route === 'GET /api/tokens') return reply(200, TOKENS);
  if (route === 'POST /api/tokens') {
    if (TOKENS.some((t) => t.name === body.name)) {
      return error(409, 'token_exists', `You already have a token named "${body.name}".`, 'Revoke it first or choose another name.');
    }
    const kind = body.app !== undefined ? 'app' : body.cluster !== undefined ? 'cluster' : undefined;
    return reply(201, {
      name: body.name,
      token: NEW_TOKEN,
      scope: kind ? { kind, name: body[kind] } : null,
      role: body.role ?? null,
      expiresAt: body.expires ? '2027-02-26T10:00:00.000Z' : null,
    });
  }
  if (token && ctx.method === 'DELETE') {
    if (!TOKENS.some((t) => t.name === decodeURIComponent(token[1]))) {
      return error(404, 'token_not_found', `You have no token named "${decodeURIComponent(token[1])}".`);
    }
    return reply(204);
  }
  if (route === 'GET /api/keys') return reply(200, KEYS);
  if (route === 'POST /api/keys') {
    const [type, , comment = null] = String(body.publicKey).split(' ');
    return reply(201, { fingerprint: 'SHA256:Nw8FZ0kVd3z2Dkz8Hh6ZtF1cJzv0nqH3rEw4yTq9s1U', type, comment, createdAt: '2026-11-28T10:00:00.000Z' });
  }
  if (key && ctx.method === 'DELETE') return reply(204);
  if (route === 'GET /api/audit') return reply(200, AUDIT);
  return false;
}

/**
 * The cluster endpoints (docs/api.md, "Clusters"); true when the route was one. Scaling prod up adds
 * an instance that, while the PATCH is pending, moves on one state with every GET of the cluster
 * (requested → booting → online); the PATCH answers once a GET has shown it online. So a client that
 * watches while it waits sees every step, whatever the timing.
 */
function clusterEndpoints(ctx: Koa.Context, route: string, body: any, fail: Fail, state: { clusters: any[]; pending?: () => void }): Promise<boolean> | boolean {
  const match = /^\/api\/clusters\/([^/]+)(\/roles|\/events)?$/.exec(ctx.path);
  const reply = (status: number, answer?: unknown) => {
    ctx.status = status;
    if (answer !== undefined) ctx.body = answer;
    return true;
  };
  const error = (status: number, code: string, message: string, hint?: string) => {
    fail(ctx, status, code, message, hint);
    return true;
  };
  if (route === 'GET /api/clusters') return reply(200, state.clusters);
  if (route === 'POST /api/clusters') {
    if (!['local', 'ec2'].includes(body.provider ?? 'local')) {
      return error(400, 'invalid_body', `Invalid request: no provider "${String(body.provider).slice(0, 40)}" is loaded (local, ec2).`);
    }
    if (state.clusters.some((c) => c.name === body.name)) return error(400, 'invalid_body', `Invalid request: a cluster named ${body.name} exists already.`);
    const { credentials, ...settings } = body.settings ?? {};
    return reply(201, {
      name: body.name,
      provider: body.provider ?? 'local',
      settings: { ...settings, credentials: credentials ? 'stored (encrypted)' : null },
      roles: Object.entries(body.roles ?? { app: 1, router: 1 }).map(([name, count]) => ({ name, count })),
      instances: [],
      apps: [],
    });
  }
  if (!match) return false;
  const [, raw, rest = ''] = match;
  const name = decodeURIComponent(raw);
  const cluster = state.clusters.find((c) => c.name === name);
  if (!cluster) return error(404, 'cluster_not_found', `No cluster named "${name}".`);
  const sub = `${ctx.method} ${rest}`;
  if (sub === 'GET ') {
    const added = cluster.instances.find((i: { id: string }) => i.id === SCALED_INSTANCE.id);
    if (added && state.pending) {
      const answer = structuredClone(cluster);
      const next = { requested: 'booting', booting: 'online' }[added.state as string];
      if (next) added.state = next;
      else {
        state.pending();
        state.pending = undefined;
      }
      return reply(200, answer);
    }
    return reply(200, cluster);
  }
  if (sub === 'DELETE ') {
    if (cluster.apps.length) return error(400, 'invalid_body', `Invalid request: cluster ${name} still has apps: destroy or move them first.`);
    return reply(204);
  }
  if (sub === 'GET /events') return reply(200, name === 'prod' ? EVENTS.slice(0, Number(ctx.query.limit ?? 100)) : []);
  if (sub === 'PATCH /roles') {
    for (const [role, count] of Object.entries(body ?? {})) {
      if (!Number.isInteger(count) || (count as number) < 0 || (count as number) > 100) {
        return error(400, 'invalid_body', `Invalid request: ${role} must be a whole number of instances from 0 to 100.`);
      }
    }
    for (const [role, count] of Object.entries(body as Record<string, number>)) {
      const existing = cluster.roles.find((r: { name: string }) => r.name === role);
      if (existing) existing.count = count;
      else cluster.roles.push({ name: role, count });
    }
    const answer = () => reply(200, { roles: cluster.roles });
    if (name !== 'prod' || body.app !== 3) return answer();
    cluster.instances.push({ ...SCALED_INSTANCE, state: 'requested', connected: false });
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => state.pending?.(), 5000); // nobody watching: answer anyway
      state.pending = () => {
        clearTimeout(timer);
        cluster.instances.find((i: { id: string }) => i.id === SCALED_INSTANCE.id).connected = true;
        resolve(answer());
      };
    });
  }
  return false;
}

export async function startFakeApiServer(t: ExecutionContext) {
  const clusterState: { clusters: any[]; pending?: () => void } = { clusters: structuredClone(CLUSTERS) };
  const requests: Recorded[] = [];
  const app = new Koa();
  const fail = (ctx: Koa.Context, status: number, code: string, message: string, hint?: string) => {
    ctx.status = status;
    ctx.body = { error: { code, message, ...(hint ? { hint } : {}) } };
  };
  app.use(async (ctx) => {
    // git over smart HTTP: HTTP Basic with any user name and the token as password (docs/api.md,
    // Git). Without it, 401 with a Basic challenge, so git asks its credential helpers. The fake
    // holds no repositories: with the right token it answers 404.
    if (/\.git\/(?:info\/refs|git-upload-pack|git-receive-pack)$/.test(ctx.path)) {
      const header = ctx.get('authorization');
      requests.push({ method: ctx.method, path: ctx.path, query: { ...ctx.query }, authorization: header || undefined, body: undefined });
      const basic = /^Basic (.+)$/.exec(header);
      const password = basic ? Buffer.from(basic[1], 'base64').toString('utf8').replace(/^[^:]*:/, '') : undefined;
      if (password !== TOKEN) {
        ctx.status = 401;
        ctx.set('WWW-Authenticate', 'Basic realm="Scalarium"');
        ctx.body = 'Authentication required';
        return;
      }
      ctx.status = 404;
      ctx.body = 'No such repository (the fake server has none)';
      return;
    }
    let raw = '';
    for await (const chunk of ctx.req) raw += chunk;
    const body = raw ? JSON.parse(raw) : undefined;
    requests.push({ method: ctx.method, path: ctx.path, query: { ...ctx.query }, authorization: ctx.get('authorization') || undefined, body });
    const viewer = ctx.get('authorization') === `Bearer ${VIEWER_TOKEN}`;
    if (ctx.get('authorization') !== `Bearer ${TOKEN}` && !viewer) {
      return fail(ctx, 401, 'unauthenticated', 'Authentication required: no valid API token was given.',
        'Log in with `scalarium login --server URL --token TOKEN`.');
    }
    if (viewer && /^\/api\/(users|audit)/.test(ctx.path)) return fail(ctx, 403, 'forbidden', 'Only admins may do that.');
    const route = `${ctx.method} ${ctx.path}`;
    const handled = accessControl(ctx, route, body, fail) || (await clusterEndpoints(ctx, route, body, fail, clusterState));
    if (handled) return;
    const appMatch = /^\/api\/apps\/([^/]+)(\/.*)?$/.exec(ctx.path);
    if (route === 'GET /api/whoami') return void (ctx.body = { user: { name: 'admin' }, token: { name: 'laptop' } });
    if (route === 'GET /api/apps') return void (ctx.body = [SHOP, BLOG]);
    if (route === 'POST /api/apps') {
      if (body?.name === 'shop') return fail(ctx, 409, 'app_exists', 'An app named "shop" already exists.', 'Choose another name.');
      const cluster = body.cluster ?? 'local';
      if (!clusterState.clusters.some((c) => c.name === cluster)) return fail(ctx, 404, 'cluster_not_found', `No cluster named "${cluster}".`);
      ctx.status = 201;
      // like the real server, the git URL is on the server itself; "elsewhere" is served by another host
      const gitBase = body.name === 'elsewhere' ? 'https://git.example.com' : `http://${ctx.host}`;
      ctx.body = { ...BLOG, name: body.name, cluster, url: `http://${body.name}.localhost:8080/`, gitUrl: `${gitBase}/${body.name}.git` };
      return;
    }
    if (!appMatch) return fail(ctx, 404, 'not_found', 'Not found.');
    const [, name, rest = ''] = appMatch;
    // blog's git URL is on this server (shop's is the fixed http://127.0.0.1:5050/shop.git)
    if (name === 'blog' && ctx.method === 'GET' && !rest) return void (ctx.body = { ...BLOG, gitUrl: `http://${ctx.host}/blog.git` });
    if (name !== 'shop') return fail(ctx, 404, 'app_not_found', `No app named "${name}".`, 'Run `scalarium apps` to list apps.');
    const sub = `${ctx.method} ${rest}`;
    const release = (version: number, from: number) => ({ ...RELEASES[0], version, description: `Rollback to v${from}` });
    switch (sub) {
      case 'GET ':
        return void (ctx.body = { ...SHOP, processes: PROCESSES });
      case 'DELETE ':
        return void (ctx.status = 204);
      case 'GET /config':
        return void (ctx.body = CONFIG);
      case 'PATCH /config': {
        const config: Record<string, string> = { ...CONFIG };
        for (const [key, value] of Object.entries(body as Record<string, string | null>)) {
          if (value === null) delete config[key];
          else config[key] = value;
        }
        return void (ctx.body = { config, release: { ...RELEASES[0], version: 5, description: 'Set config vars' } });
      }
      case 'GET /releases':
        return void (ctx.body = RELEASES);
      case 'POST /rollback':
        ctx.status = 201;
        return void (ctx.body = release(6, (body as { version?: number }).version ?? 2));
      case 'GET /ps':
        return void (ctx.body = PROCESSES);
      case 'PATCH /formation':
        return void (ctx.body = { formation: { ...SHOP.formation, ...(body as object) } });
      case 'POST /restart':
        return void (ctx.body = { restarted: body?.type === 'web' ? 2 : 3 });
      case 'GET /logs': {
        ctx.type = 'text/plain';
        const lines = LOG_LINES.split('\n').filter(Boolean).slice(-Number(ctx.query.lines ?? 100));
        if (ctx.query.tail !== '1') return void (ctx.body = lines.map((l) => `${l}\n`).join(''));
        const stream = new PassThrough();
        ctx.body = stream;
        for (const line of lines) stream.write(`${line}\n`);
        const timer = setTimeout(() => stream.write('2026-11-28T10:00:02.000Z app[web.1]: GET / 200\n'), 50);
        ctx.req.on('close', () => {
          clearTimeout(timer);
          stream.end();
        });
        return;
      }
    }
    const version = /^\/releases\/v?(\d+)$/.exec(rest);
    if (ctx.method === 'GET' && version) {
      const found = RELEASES.find((r) => r.version === Number(version[1]));
      if (!found) return fail(ctx, 404, 'release_not_found', `App shop has no release v${version[1]}.`, 'Run `scalarium releases` to list releases.');
      return void (ctx.body = found);
    }
    return fail(ctx, 404, 'not_found', 'Not found.');
  });
  app.on('error', (error: NodeJS.ErrnoException) => {
    // the CLI hanging up on `logs --tail` is expected
    if (error.code !== 'ERR_STREAM_PREMATURE_CLOSE') console.error(error);
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, requests };
}

/** A sandbox logged in to a fake API server through the environment. */
export async function loggedIn(t: ExecutionContext, token = TOKEN) {
  const api = await startFakeApiServer(t);
  const box = await sandbox(t, { SCALARIUM_SERVER: api.url, SCALARIUM_TOKEN: token });
  return { ...api, ...box, cwd: join(box.dir, 'work') };
}
