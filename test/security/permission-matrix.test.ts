// The permission matrix, generated from the route table: every declared API route × every kind of
// principal × an app they have a role on (`own`) and one they have none on (`foreign`). The policy's
// answer is re-derived here from a small rank table (not by calling decide()), so a change in the
// policy or in a route's declared action shows up as a failing cell, and a new route without an
// entry in EXPECTED fails the first test until someone reviews its permission.
//
// The server runs in-process (test/helpers/harness.ts) so that `declaredRoutes` is populated in this
// very process. Its instances are FAKES, and the clusters this test makes are of the null provider:
// what is checked is who may do what, not what instances do.
import test, { type ExecutionContext } from 'ava';
import crypto from 'node:crypto';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { declaredRoutes } from '../../server/http/api/route-table.ts';
import { createToken, findUserByName } from '../../server/db/identity.ts';
import { PROVIDER } from '../../plugins/provider-null/index.ts';
import { createTestScalarium, type TestScalarium } from '../helpers/harness.ts';
import { authedGitUrl, createAppRepo, type AppRepo } from '../helpers/app-repo.ts';

const execFileAsync = promisify(execFile);

type Action = 'read' | 'logs' | 'deploy' | 'configure' | 'scale' | 'destroy' | 'create' | 'manage' | 'admin' | 'self';
type Role = 'viewer' | 'deployer' | 'manager';

/** Every API route and the action it must declare. Review any change here with care. */
const EXPECTED: Record<string, Action> = {
  'GET /api/status': 'read',
  'GET /api/whoami': 'read',
  'GET /api/apps': 'read',
  'POST /api/apps': 'create',
  'GET /api/apps/:app': 'read',
  'DELETE /api/apps/:app': 'destroy',
  'PATCH /api/apps/:app': 'configure',
  'GET /api/apps/:app/config': 'configure',
  'PATCH /api/apps/:app/config': 'configure',
  'GET /api/apps/:app/releases': 'read',
  'GET /api/apps/:app/releases/:version': 'read',
  'GET /api/apps/:app/commits': 'read',
  'POST /api/apps/:app/rollback': 'deploy',
  'POST /api/apps/:app/deploy': 'deploy',
  'GET /api/apps/:app/deploys': 'read',
  'GET /api/apps/:app/deploys/:id': 'read',
  'GET /api/apps/:app/deploys/:id/output': 'read',
  'DELETE /api/apps/:app/build-cache': 'deploy',
  'GET /api/apps/:app/ps': 'read',
  'PATCH /api/apps/:app/formation': 'scale',
  'POST /api/apps/:app/restart': 'deploy',
  'GET /api/apps/:app/builds': 'read',
  'GET /api/apps/:app/builds/:id/log': 'read',
  'GET /api/apps/:app/deployments': 'read',
  'GET /api/apps/:app/logs': 'logs',
  'GET /api/apps/:app/deploy-lock': 'read',
  'PUT /api/apps/:app/deploy-lock': 'deploy',
  'DELETE /api/apps/:app/deploy-lock': 'deploy',
  'GET /api/apps/:app/metrics': 'read',
  'GET /api/clusters/:cluster/metrics': 'read',
  'GET /api/apps/:app/drains': 'manage',
  'POST /api/apps/:app/drains': 'manage',
  'DELETE /api/apps/:app/drains/:drain': 'manage',
  'GET /api/clusters/:cluster/drains': 'manage',
  'POST /api/clusters/:cluster/drains': 'manage',
  'DELETE /api/clusters/:cluster/drains/:drain': 'manage',
  'GET /api/apps/:app/alerts': 'read',
  'POST /api/apps/:app/alerts': 'manage',
  'DELETE /api/apps/:app/alerts/:id': 'manage',
  'GET /api/apps/:app/alerts/history': 'read',
  'GET /api/clusters/:cluster/alerts': 'read',
  'POST /api/clusters/:cluster/alerts': 'manage',
  'DELETE /api/clusters/:cluster/alerts/:id': 'manage',
  'GET /api/clusters/:cluster/alerts/history': 'read',
  'GET /api/clusters/:cluster/healing': 'read',
  'PUT /api/clusters/:cluster/healing': 'scale',
  'GET /api/clusters/:cluster/autoscale': 'read',
  'PUT /api/clusters/:cluster/autoscale/:role': 'scale',
  'DELETE /api/clusters/:cluster/autoscale/:role': 'scale',
  'POST /api/clusters/:cluster/autoscale/:role/schedules': 'scale',
  'DELETE /api/clusters/:cluster/autoscale/schedules/:id': 'scale',
  'GET /api/apps/:app/autoscale': 'read',
  'PUT /api/apps/:app/autoscale/:type': 'scale',
  'DELETE /api/apps/:app/autoscale/:type': 'scale',
  'POST /api/apps/:app/autoscale/:type/schedules': 'scale',
  'DELETE /api/apps/:app/autoscale/schedules/:id': 'scale',
  'GET /api/alerts/builtin': 'read',
  'PUT /api/alerts/builtin/:name': 'admin',
  'GET /api/notifiers': 'read',
  'POST /api/notifiers': 'admin',
  'DELETE /api/notifiers/:name': 'admin',
  'POST /api/notifiers/:name/test': 'admin',
  'GET /api/users': 'admin',
  'POST /api/users': 'admin',
  'POST /api/users/:user/invite': 'admin',
  'POST /api/users/:user/disable': 'admin',
  'POST /api/users/:user/enable': 'admin',
  'DELETE /api/users/:user': 'admin',
  'GET /api/access': 'read',
  'POST /api/access': 'manage',
  'POST /api/access/revoke': 'manage',
  'GET /api/tokens': 'self',
  'POST /api/tokens': 'self',
  'DELETE /api/tokens/:name': 'self',
  'GET /api/keys': 'self',
  'POST /api/keys': 'self',
  'DELETE /api/keys/:fingerprint': 'self',
  'GET /api/audit': 'admin',
  'GET /api/hooks/timings': 'admin',
  'GET /api/clusters': 'read',
  'POST /api/clusters': 'admin',
  'GET /api/clusters/:cluster': 'read',
  'PATCH /api/clusters/:cluster/roles': 'scale',
  'DELETE /api/clusters/:cluster': 'admin',
  'GET /api/clusters/:cluster/events': 'read',
  'GET /api/usage': 'read',
  'GET /api/usage/prices': 'read',
  'PUT /api/usage/prices': 'admin',
};

// ---- the policy, restated (docs/api.md "Access control") -------------------------------------

const RANK = { none: 0, viewer: 1, deployer: 2, manager: 3, admin: 4 } as const;
type Level = keyof typeof RANK;
const NEEDS: Record<Action, Level> = {
  read: 'viewer', logs: 'viewer', deploy: 'deployer', configure: 'manager', scale: 'manager', destroy: 'manager',
  create: 'manager', manage: 'manager', admin: 'admin', self: 'viewer',
};

type Kind = 'app' | 'cluster';
type Resource = { kind: 'server' } | { kind: Kind; name: string };
interface Scope { kind: Kind; name: string }

interface Principal {
  label: string;
  user: string;
  admin: boolean;
  token: string;
  /** A full-power token of the same user, to look at (and prepare) what belongs to the user. */
  ownerToken: string;
  scope?: Scope;
  role?: Role;
}

/** "app:own" / "cluster:local" → user → role: every grant this test made. */
const grants = new Map<string, Map<string, Role>>();
/** Every app this test knows, with its cluster (a cluster role covers its apps). */
const appCluster = new Map<string, string>();
const clusters = new Set<string>(['local']);

function grantInModel(scope: Scope, user: string, role: Role | undefined): void {
  const key = `${scope.kind}:${scope.name}`;
  if (!grants.has(key)) grants.set(key, new Map());
  if (role) grants.get(key)!.set(user, role);
  else grants.get(key)!.delete(user);
}

const roleOn = (kind: Kind, name: string | undefined, user: string): Level => (name && grants.get(`${kind}:${name}`)?.get(user)) || 'none';
const higher = (a: Level, b: Level): Level => (RANK[b] > RANK[a] ? b : a);

function allows(p: Principal, action: Action, resource: Resource): boolean {
  if (resource.kind === 'server' && action === 'read') return true;
  if (action === 'self') return !p.scope && !p.role;
  if (p.scope) {
    const inScope = resource.kind === 'app'
      ? (p.scope.kind === 'app' ? p.scope.name === resource.name : p.scope.name === appCluster.get(resource.name))
      : resource.kind === 'cluster' && p.scope.kind === 'cluster' && p.scope.name === resource.name;
    if (!inScope) return false;
  }
  let level: Level = 'none';
  if (p.admin) level = 'admin';
  else if (resource.kind === 'app') level = higher(roleOn('app', resource.name, p.user), roleOn('cluster', appCluster.get(resource.name), p.user));
  else if (resource.kind === 'cluster') level = roleOn('cluster', resource.name, p.user);
  if (p.role && RANK[p.role] < RANK[level]) level = p.role;
  return RANK[level] >= RANK[NEEDS[action]];
}

// ---- the server and its principals ------------------------------------------------------------

let server: TestScalarium | undefined;
let adminToken: string;
let dataDir: string;
let url: string;
const principals: Principal[] = [];
const byLabel = (label: string) => principals.find((p) => p.label === label)!;
let counter = 0;
const unique = (prefix: string) => `${prefix}${(++counter).toString(36)}`;

interface Answer { status: number; body: any; text: string }

async function api(method: string, apiPath: string, token: string | undefined, body?: unknown): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${url}${apiPath}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // text/plain answers (logs, build logs) stay text
  }
  return { status: res.status, body: parsed, text };
}

async function admin(method: string, apiPath: string, body?: unknown, expected?: number): Promise<Answer> {
  const res = await api(method, apiPath, adminToken, body);
  if (expected !== undefined && res.status !== expected) {
    throw new Error(`setup: ${method} ${apiPath} answered ${res.status} ${res.text} (expected ${expected})`);
  }
  return res;
}

async function createUser(name: string): Promise<void> {
  await admin('POST', '/api/users', { name }, 201);
}

const scopeBody = (scope: Scope) => (scope.kind === 'app' ? { app: scope.name } : { cluster: scope.name });

async function grant(user: string, scope: Scope, role: Role): Promise<void> {
  await admin('POST', '/api/access', { user, ...scopeBody(scope), role }, 201);
  grantInModel(scope, user, role);
}

async function createApp(name: string, cluster = 'local'): Promise<void> {
  await admin('POST', '/api/apps', cluster === 'local' ? { name } : { name, cluster }, 201);
  appCluster.set(name, cluster);
}

/** Clusters of this test run no instances: their roles want none. */
async function createCluster(name: string): Promise<void> {
  await admin('POST', '/api/clusters', { name, provider: PROVIDER, roles: { app: 0, router: 0 } }, 201);
  clusters.add(name);
}

/**
 * Tokens for users without a password: the API only creates tokens for the caller, and these users
 * never log in, so their tokens are made with createToken() from server/db/identity.ts — the very
 * function POST /api/tokens uses (plugins/access/service.ts createApiToken), on the running server's
 * database. No row is written by hand.
 */
async function tokenFor(user: string, options: { scope?: Scope; role?: Role; name?: string; expiresAt?: string } = {}): Promise<string> {
  const row = await findUserByName(server!.scalarium.db, user);
  if (!row) throw new Error(`no user ${user}`);
  return createToken(server!.scalarium.db, row.id, { name: options.name ?? unique('matrix-'), scope: options.scope, role: options.role, expiresAt: options.expiresAt });
}

/** The roles the principal users hold on `own` and `own-cluster`, and on `foreign` and `foreign-cluster`. */
const OWN_ROLES: Array<[string, Role]> = [['viewer', 'viewer'], ['deployer', 'deployer'], ['manager', 'manager'], ['multi', 'manager']];
const FOREIGN_ROLES: Array<[string, Role]> = [['multi', 'manager']];
const rolesLike = (like: string) => (like.startsWith('own') ? OWN_ROLES : like.startsWith('foreign') ? FOREIGN_ROLES : []);

/**
 * Throwaway targets for requests that destroy or change them. One is reused only while every request
 * on it was denied and verified to have changed nothing; the first request that succeeds on it uses
 * it up (spent()), so every request meets a target in its pristine state.
 */
const pristine = new Map<string, string>();
const spent = (like: string) => pristine.delete(like);

/** An app set up like `own`, `foreign` or `clustered` (in own-cluster, no app grants). */
async function throwawayApp(like: string): Promise<string> {
  const cached = pristine.get(`app:${like}`);
  if (cached) return cached;
  const name = unique('tmp-');
  pristine.set(`app:${like}`, name);
  await createApp(name, like === 'clustered' ? 'own-cluster' : 'local');
  for (const [user, role] of like === 'clustered' ? [] : rolesLike(like)) await grant(user, { kind: 'app', name }, role);
  return name;
}

/** A cluster granted like `own-cluster` or `foreign-cluster`. */
async function throwawayCluster(like: string, purpose: string): Promise<string> {
  const cached = pristine.get(`${purpose}:${like}`);
  if (cached) return cached;
  const name = unique('tc-');
  pristine.set(`${purpose}:${like}`, name);
  await createCluster(name);
  for (const [user, role] of rolesLike(like)) await grant(user, { kind: 'cluster', name }, role);
  return name;
}

test.before(async () => {
  server = await createTestScalarium();
  ({ url, dataDir, token: adminToken } = server);
  await createCluster('own-cluster');
  await createCluster('foreign-cluster');
  await createApp('own');
  await createApp('foreign');
  await createApp('clustered', 'own-cluster');
  for (const name of ['viewer', 'deployer', 'manager', 'outsider', 'multi']) await createUser(name);
  for (const [user, role] of OWN_ROLES) {
    await grant(user, { kind: 'app', name: 'own' }, role);
    await grant(user, { kind: 'cluster', name: 'own-cluster' }, role);
  }
  for (const [user, role] of FOREIGN_ROLES) {
    await grant(user, { kind: 'app', name: 'foreign' }, role);
    await grant(user, { kind: 'cluster', name: 'foreign-cluster' }, role);
  }

  const full: Record<string, string> = { admin: adminToken };
  for (const name of ['viewer', 'deployer', 'manager', 'outsider', 'multi']) full[name] = await tokenFor(name);
  // The admin's capped token through the API itself (it may create tokens for itself).
  const capped = await admin('POST', '/api/tokens', { name: 'admin-readonly', role: 'viewer' }, 201);

  const add = (p: Omit<Principal, 'ownerToken'>) => principals.push({ ...p, ownerToken: full[p.user]! });
  const scoped = async (label: string, user: string, scope: Scope) => add({ label, user, admin: false, token: await tokenFor(user, { scope }), scope });
  add({ label: 'admin', user: 'admin', admin: true, token: adminToken });
  add({ label: 'admin capped to viewer', user: 'admin', admin: true, token: capped.body.token, role: 'viewer' });
  for (const name of ['viewer', 'deployer', 'manager', 'outsider', 'multi']) add({ label: name, user: name, admin: false, token: full[name]! });
  add({ label: 'manager capped to viewer', user: 'manager', admin: false, token: await tokenFor('manager', { role: 'viewer' }), role: 'viewer' });
  await scoped('manager scoped to foreign', 'manager', { kind: 'app', name: 'foreign' });
  await scoped('multi scoped to own', 'multi', { kind: 'app', name: 'own' });
  await scoped('manager scoped to own-cluster', 'manager', { kind: 'cluster', name: 'own-cluster' });
});

test.after.always(async () => {
  await server?.close();
});

// ---- what each route needs to be exercised ----------------------------------------------------

interface Prepared {
  path: string;
  body?: unknown;
  /** The resource the request acts on when it is not the target itself (a throwaway copy). */
  on?: string;
  /** Statuses that mean "the request was allowed and did its work (or met a normal business error)". */
  ok: number[];
  /** Checks the effect (allowed) or its absence (denied). */
  verify?: (t: ExecutionContext, allowed: boolean, res: Answer) => Promise<void>;
}

interface RouteCase {
  /**
   * What the route authorises against: the server, the app or cluster in the path, the cluster named
   * in the body (app creation), or the app or cluster named in the body (grants).
   */
  resource: 'server' | 'app' | 'cluster' | 'body-cluster' | 'body-scope';
  targets?: string[];
  prepare: (p: Principal, target: string | undefined) => Promise<Prepared>;
}

const APP_TARGETS = ['own', 'foreign', 'clustered'];
const CLUSTER_TARGETS = ['own-cluster', 'foreign-cluster', 'local'];

const sshKey = (): string => {
  const { publicKey } = crypto.generateKeyPairSync('ed25519');
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const field = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  const blob = Buffer.concat([field(Buffer.from('ssh-ed25519')), field(der.subarray(der.length - 32))]);
  return `ssh-ed25519 ${blob.toString('base64')} matrix@test`;
};

async function appExists(name: string): Promise<boolean> {
  return (await admin('GET', `/api/apps/${name}`)).status === 200;
}
async function clusterExists(name: string): Promise<boolean> {
  return (await admin('GET', `/api/clusters/${name}`)).status === 200;
}
async function userRow(name: string): Promise<{ name: string; disabled: boolean } | undefined> {
  return ((await admin('GET', '/api/users', undefined, 200)).body as Array<{ name: string; disabled: boolean }>).find((u) => u.name === name);
}
async function grantsOf(user: string): Promise<string[]> {
  const list = (await admin('GET', `/api/access?user=${user}`, undefined, 200)).body as Array<{ scope: Scope; role: string }>;
  return list.map((g) => `${g.scope.kind}:${g.scope.name}=${g.role}`);
}
async function tokenNames(ownerToken: string): Promise<string[]> {
  const res = await api('GET', '/api/tokens', ownerToken);
  if (res.status !== 200) throw new Error(`token list: ${res.status}`);
  return (res.body as Array<{ name: string }>).map((x) => x.name);
}
async function fingerprints(ownerToken: string): Promise<string[]> {
  const res = await api('GET', '/api/keys', ownerToken);
  if (res.status !== 200) throw new Error(`key list: ${res.status}`);
  return (res.body as Array<{ fingerprint: string }>).map((x) => x.fingerprint);
}
const kindOf = (name: string): Kind => (clusters.has(name) ? 'cluster' : 'app');

/** Read-only routes: only the status matters; nothing to undo. */
const read = (pathOf: (target?: string) => string, ok: number[] = [200]): RouteCase['prepare'] => async (_p, target) => ({ path: pathOf(target), ok });

/** Deploy-type mutations on apps that have no release: allowed means 409 no_release, and nothing changes. */
function noReleaseMutation(pathOf: (app: string) => string, body: unknown): RouteCase['prepare'] {
  return async (_p, target) => {
    const before = (await admin('GET', `/api/apps/${target}`, undefined, 200)).body;
    return {
      path: pathOf(target!), body, ok: [409],
      async verify(t, allowed, res) {
        if (allowed) t.is(res.body.error?.code, 'no_release');
        const after = (await admin('GET', `/api/apps/${target}`, undefined, 200)).body;
        t.deepEqual(after, before, 'the app is unchanged');
      },
    };
  };
}

/** Alert rules of an app or cluster (plugins/alerting): the rule ids there, as the admin sees them. */
async function ruleIds(base: string): Promise<number[]> {
  return ((await admin('GET', `${base}/alerts`, undefined, 200)).body as Array<{ id: number; builtin: string | null }>).filter((r) => !r.builtin).map((r) => r.id);
}
function addsAlertRule(baseOf: (target: string) => string, metric: string): RouteCase['prepare'] {
  return async (_p, target) => {
    const base = baseOf(target!);
    const before = await ruleIds(base);
    return {
      path: `${base}/alerts`, body: { metric, above: 1 }, ok: [201],
      async verify(t, allowed) {
        const added = (await ruleIds(base)).filter((id) => !before.includes(id));
        t.is(added.length, allowed ? 1 : 0, 'a rule added only if allowed');
        for (const id of added) await admin('DELETE', `${base}/alerts/${id}`, undefined, 204);
      },
    };
  };
}
function removesAlertRule(baseOf: (target: string) => string, metric: string): RouteCase['prepare'] {
  return async (_p, target) => {
    const base = baseOf(target!);
    const id = (await admin('POST', `${base}/alerts`, { metric, above: 1 }, 201)).body.id as number;
    return {
      path: `${base}/alerts/${id}`, ok: [204],
      async verify(t, allowed) {
        t.is((await ruleIds(base)).includes(id), !allowed, 'the rule is gone only if allowed');
        if (!allowed) await admin('DELETE', `${base}/alerts/${id}`, undefined, 204);
      },
    };
  };
}
async function notifierNames(): Promise<string[]> {
  return ((await admin('GET', '/api/notifiers', undefined, 200)).body as Array<{ name: string }>).map((n) => n.name);
}
/** A webhook at a documentation address: the outbound policy lets it be stored; nothing is sent. */
const MATRIX_WEBHOOK = 'https://203.0.113.10/hooks/T000/matrix';

/** Log drains of an app or cluster (plugins/log-drains): their tokens, as the admin sees them. */
async function drainTokens(base: string): Promise<string[]> {
  return ((await admin('GET', `${base}/drains`, undefined, 200)).body as Array<{ token: string }>).map((d) => d.token);
}
/** A drain at a documentation address: the outbound policy lets it be stored; it never connects. */
const MATRIX_DRAIN = 'syslog://203.0.113.20:514';
function addsDrain(baseOf: (target: string) => string): RouteCase['prepare'] {
  return async (_p, target) => {
    const base = baseOf(target!);
    const before = await drainTokens(base);
    return {
      path: `${base}/drains`, body: { url: MATRIX_DRAIN }, ok: [201],
      async verify(t, allowed) {
        const added = (await drainTokens(base)).filter((token) => !before.includes(token));
        t.is(added.length, allowed ? 1 : 0, 'a drain added only if allowed');
        for (const token of added) await admin('DELETE', `${base}/drains/${token}`, undefined, 200);
      },
    };
  };
}
function removesDrain(baseOf: (target: string) => string): RouteCase['prepare'] {
  return async (_p, target) => {
    const base = baseOf(target!);
    const token = (await admin('POST', `${base}/drains`, { url: MATRIX_DRAIN }, 201)).body.token as string;
    return {
      path: `${base}/drains/${token}`, ok: [200],
      async verify(t, allowed) {
        t.is((await drainTokens(base)).includes(token), !allowed, 'the drain is gone only if allowed');
        if (!allowed) await admin('DELETE', `${base}/drains/${token}`, undefined, 200);
      },
    };
  };
}

/** Healing and autoscaling of a cluster (plugins/healing, plugins/autoscaling), as the admin sees them. */
const autoscaleOf = async (cluster: string) => (await admin('GET', `/api/clusters/${cluster}/autoscale`, undefined, 200)).body as {
  targets: Array<{ role: string; policy: unknown; schedules: Array<{ id: number }> }>;
};
const MATRIX_POLICY = { metric: 'cpu', min: 0, max: 2, above: 90 };
const MATRIX_SCHEDULE = { count: 0, cron: '0 3 * * *', tz: 'UTC' };

/** An app without a release has no process type to scale: allowed → 409 no_release, nothing stored. */
function noReleaseAutoscale(pathOf: (app: string) => string, body: unknown): RouteCase['prepare'] {
  return async (_p, target) => ({
    path: pathOf(target!), body, ok: [409],
    async verify(t, allowed, res) {
      if (allowed) t.is(res.body.error?.code, 'no_release');
      t.deepEqual((await admin('GET', `/api/apps/${target}/autoscale`, undefined, 200)).body.targets, [], 'nothing stored');
    },
  });
}

const CASES: Record<string, RouteCase> = {
  'GET /api/clusters/:cluster/healing': { resource: 'cluster', targets: CLUSTER_TARGETS, prepare: read((c) => `/api/clusters/${c}/healing`) },
  'PUT /api/clusters/:cluster/healing': {
    resource: 'cluster', targets: CLUSTER_TARGETS,
    prepare: async (_p, target) => ({
      path: `/api/clusters/${target}/healing`, body: { dryRun: true }, ok: [200],
      async verify(t, allowed) {
        const policy = (await admin('GET', `/api/clusters/${target}/healing`, undefined, 200)).body.policy as { dryRun: boolean };
        t.is(policy.dryRun, allowed, 'the policy changed only if allowed');
        if (allowed) await admin('PUT', `/api/clusters/${target}/healing`, { dryRun: false }, 200);
      },
    }),
  },
  'GET /api/clusters/:cluster/autoscale': { resource: 'cluster', targets: CLUSTER_TARGETS, prepare: read((c) => `/api/clusters/${c}/autoscale`) },
  'PUT /api/clusters/:cluster/autoscale/:role': {
    resource: 'cluster', targets: CLUSTER_TARGETS,
    prepare: async (_p, target) => ({
      path: `/api/clusters/${target}/autoscale/app`, body: MATRIX_POLICY, ok: [200],
      async verify(t, allowed) {
        t.is((await autoscaleOf(target!)).targets.some((x) => x.role === 'app' && x.policy), allowed, 'a policy only if allowed');
        if (allowed) await admin('DELETE', `/api/clusters/${target}/autoscale/app`, undefined, 204);
      },
    }),
  },
  'DELETE /api/clusters/:cluster/autoscale/:role': {
    resource: 'cluster', targets: CLUSTER_TARGETS,
    prepare: async (_p, target) => {
      await admin('PUT', `/api/clusters/${target}/autoscale/app`, MATRIX_POLICY, 200);
      return {
        path: `/api/clusters/${target}/autoscale/app`, ok: [204],
        async verify(t, allowed) {
          t.is((await autoscaleOf(target!)).targets.some((x) => x.role === 'app' && x.policy), !allowed, 'gone only if allowed');
          if (!allowed) await admin('DELETE', `/api/clusters/${target}/autoscale/app`, undefined, 204);
        },
      };
    },
  },
  'POST /api/clusters/:cluster/autoscale/:role/schedules': {
    resource: 'cluster', targets: CLUSTER_TARGETS,
    prepare: async (_p, target) => ({
      path: `/api/clusters/${target}/autoscale/app/schedules`, body: MATRIX_SCHEDULE, ok: [201],
      async verify(t, allowed, res) {
        const ids = (await autoscaleOf(target!)).targets.flatMap((x) => x.schedules.map((sc) => sc.id));
        t.is(ids.length > 0, allowed, 'a schedule only if allowed');
        if (allowed) await admin('DELETE', `/api/clusters/${target}/autoscale/schedules/${res.body.id}`, undefined, 204);
      },
    }),
  },
  'DELETE /api/clusters/:cluster/autoscale/schedules/:id': {
    resource: 'cluster', targets: CLUSTER_TARGETS,
    prepare: async (_p, target) => {
      const id = (await admin('POST', `/api/clusters/${target}/autoscale/app/schedules`, MATRIX_SCHEDULE, 201)).body.id as number;
      return {
        path: `/api/clusters/${target}/autoscale/schedules/${id}`, ok: [204],
        async verify(t, allowed) {
          const ids = (await autoscaleOf(target!)).targets.flatMap((x) => x.schedules.map((sc) => sc.id));
          t.is(ids.includes(id), !allowed, 'gone only if allowed');
          if (!allowed) await admin('DELETE', `/api/clusters/${target}/autoscale/schedules/${id}`, undefined, 204);
        },
      };
    },
  },
  'GET /api/apps/:app/autoscale': { resource: 'app', prepare: read((a) => `/api/apps/${a}/autoscale`) },
  'PUT /api/apps/:app/autoscale/:type': { resource: 'app', prepare: noReleaseAutoscale((a) => `/api/apps/${a}/autoscale/web`, { metric: 'cpu', min: 1, max: 2, above: 90 }) },
  'DELETE /api/apps/:app/autoscale/:type': { resource: 'app', prepare: noReleaseAutoscale((a) => `/api/apps/${a}/autoscale/web`, undefined) },
  'POST /api/apps/:app/autoscale/:type/schedules': { resource: 'app', prepare: noReleaseAutoscale((a) => `/api/apps/${a}/autoscale/web/schedules`, MATRIX_SCHEDULE) },
  'DELETE /api/apps/:app/autoscale/schedules/:id': { resource: 'app', prepare: read((a) => `/api/apps/${a}/autoscale/schedules/1`, [404]) },
  'GET /api/apps/:app/drains': { resource: 'app', prepare: read((a) => `/api/apps/${a}/drains`) },
  'POST /api/apps/:app/drains': { resource: 'app', prepare: addsDrain((a) => `/api/apps/${a}`) },
  'DELETE /api/apps/:app/drains/:drain': { resource: 'app', prepare: removesDrain((a) => `/api/apps/${a}`) },
  'GET /api/clusters/:cluster/drains': { resource: 'cluster', targets: CLUSTER_TARGETS, prepare: read((c) => `/api/clusters/${c}/drains`) },
  'POST /api/clusters/:cluster/drains': { resource: 'cluster', targets: CLUSTER_TARGETS, prepare: addsDrain((c) => `/api/clusters/${c}`) },
  'DELETE /api/clusters/:cluster/drains/:drain': { resource: 'cluster', targets: CLUSTER_TARGETS, prepare: removesDrain((c) => `/api/clusters/${c}`) },
  'GET /api/apps/:app/alerts': { resource: 'app', prepare: read((a) => `/api/apps/${a}/alerts`) },
  'GET /api/apps/:app/alerts/history': { resource: 'app', prepare: read((a) => `/api/apps/${a}/alerts/history`) },
  'POST /api/apps/:app/alerts': { resource: 'app', prepare: addsAlertRule((a) => `/api/apps/${a}`, 'p95_ms') },
  'DELETE /api/apps/:app/alerts/:id': { resource: 'app', prepare: removesAlertRule((a) => `/api/apps/${a}`, 'p95_ms') },
  'GET /api/clusters/:cluster/alerts': { resource: 'cluster', targets: CLUSTER_TARGETS, prepare: read((c) => `/api/clusters/${c}/alerts`) },
  'GET /api/clusters/:cluster/alerts/history': { resource: 'cluster', targets: CLUSTER_TARGETS, prepare: read((c) => `/api/clusters/${c}/alerts/history`) },
  'POST /api/clusters/:cluster/alerts': { resource: 'cluster', targets: CLUSTER_TARGETS, prepare: addsAlertRule((c) => `/api/clusters/${c}`, 'instance_cpu_percent') },
  'DELETE /api/clusters/:cluster/alerts/:id': { resource: 'cluster', targets: CLUSTER_TARGETS, prepare: removesAlertRule((c) => `/api/clusters/${c}`, 'instance_cpu_percent') },
  'GET /api/alerts/builtin': { resource: 'server', prepare: read(() => '/api/alerts/builtin') },
  'PUT /api/alerts/builtin/:name': {
    resource: 'server',
    prepare: async () => {
      await admin('PUT', '/api/alerts/builtin/error_rate', { enabled: true }, 200);
      return {
        path: '/api/alerts/builtin/error_rate', body: { enabled: false }, ok: [200],
        async verify(t, allowed) {
          const rule = ((await admin('GET', '/api/alerts/builtin', undefined, 200)).body as Array<{ builtin: string; enabled: boolean }>).find((r) => r.builtin === 'error_rate')!;
          t.is(rule.enabled, !allowed, 'turned off only if allowed');
          await admin('PUT', '/api/alerts/builtin/error_rate', { enabled: true }, 200);
        },
      };
    },
  },
  'GET /api/notifiers': { resource: 'server', prepare: read(() => '/api/notifiers') },
  'POST /api/notifiers': {
    resource: 'server',
    prepare: async () => {
      const name = unique('hook-');
      return {
        path: '/api/notifiers', body: { name, kind: 'webhook', webhook: MATRIX_WEBHOOK }, ok: [201],
        async verify(t, allowed, res) {
          t.is((await notifierNames()).includes(name), allowed, `notifier ${name} exists only if allowed`);
          t.false(res.text.includes('T000/matrix'), 'the webhook\'s secret path is never shown');
          if (allowed) await admin('DELETE', `/api/notifiers/${name}`, undefined, 204);
        },
      };
    },
  },
  'DELETE /api/notifiers/:name': {
    resource: 'server',
    prepare: async () => {
      const name = unique('hook-');
      await admin('POST', '/api/notifiers', { name, kind: 'webhook', webhook: MATRIX_WEBHOOK }, 201);
      return {
        path: `/api/notifiers/${name}`, ok: [204],
        async verify(t, allowed) {
          t.is((await notifierNames()).includes(name), !allowed, 'removed only if allowed');
          if (!allowed) await admin('DELETE', `/api/notifiers/${name}`, undefined, 204);
        },
      };
    },
  },
  // No notifier of that name: allowed means 404 (nothing is sent anywhere); denied is 403.
  'POST /api/notifiers/:name/test': { resource: 'server', prepare: read(() => '/api/notifiers/no-such-notifier/test', [404]) },
  'GET /api/status': { resource: 'server', prepare: read(() => '/api/status') },
  'GET /api/whoami': {
    resource: 'server',
    prepare: async (p) => ({
      path: '/api/whoami', ok: [200],
      async verify(t, allowed, res) {
        if (allowed) t.is(res.body.user.name, p.user, `${p.label}: whoami names the token's user`);
      },
    }),
  },
  'GET /api/apps': {
    resource: 'server',
    prepare: async (p) => ({
      path: '/api/apps', ok: [200],
      async verify(t, allowed, res) {
        if (!allowed) return;
        // The list is filtered per app: exactly those the principal may read.
        const all = ((await admin('GET', '/api/apps', undefined, 200)).body as Array<{ name: string }>).map((a) => a.name).sort();
        const seen = (res.body as Array<{ name: string }>).map((a) => a.name).sort();
        t.deepEqual(seen, all.filter((name) => allows(p, 'read', { kind: 'app', name })), `${p.label}: visible apps`);
      },
    }),
  },
  'POST /api/apps': {
    resource: 'body-cluster',
    targets: CLUSTER_TARGETS,
    prepare: async (_p, target) => {
      const name = unique('new-');
      return {
        path: '/api/apps', body: target === 'local' ? { name } : { name, cluster: target }, ok: [201],
        async verify(t, allowed, res) {
          t.is(await appExists(name), allowed, `app ${name} exists only if the create was allowed`);
          if (!allowed) return;
          t.is(res.body.cluster, target, 'the app went to the cluster it was asked for');
          await admin('DELETE', `/api/apps/${name}`, undefined, 204);
        },
      };
    },
  },
  'GET /api/apps/:app': { resource: 'app', prepare: read((a) => `/api/apps/${a}`) },
  'DELETE /api/apps/:app': {
    resource: 'app',
    prepare: async (_p, target) => {
      const name = await throwawayApp(target!);
      return {
        path: `/api/apps/${name}`, on: name, ok: [204],
        async verify(t, allowed) {
          t.is(await appExists(name), !allowed, `app ${name} is gone only if the destroy was allowed`);
          if (allowed) {
            appCluster.delete(name);
            spent(`app:${target}`);
          }
        },
      };
    },
  },
  'PATCH /api/apps/:app': {
    resource: 'app',
    prepare: async (_p, target) => {
      const before = (await admin('GET', `/api/apps/${target}`, undefined, 200)).body;
      return {
        path: `/api/apps/${target}`, body: { deployBranch: 'trunk' }, ok: [200],
        async verify(t, allowed) {
          const after = (await admin('GET', `/api/apps/${target}`, undefined, 200)).body;
          t.is(after.deployBranch, allowed ? 'trunk' : before.deployBranch, 'the deploy branch changed only if allowed');
          if (allowed) await admin('PATCH', `/api/apps/${target}`, { deployBranch: before.deployBranch }, 200);
        },
      };
    },
  },
  'GET /api/apps/:app/config': {
    resource: 'app',
    prepare: async (_p, target) => ({
      path: `/api/apps/${target}/config`, ok: [200],
      async verify(t, allowed, res) {
        if (allowed) t.deepEqual(res.body, (await admin('GET', `/api/apps/${target}/config`, undefined, 200)).body);
        else t.false(res.text.includes('MATRIX'), 'a denied answer carries no config');
      },
    }),
  },
  'PATCH /api/apps/:app/config': {
    resource: 'app',
    prepare: async (_p, target) => {
      const before = (await admin('GET', `/api/apps/${target}/config`, undefined, 200)).body;
      const value = unique('v');
      return {
        path: `/api/apps/${target}/config`, body: { MATRIX: value }, ok: [200],
        async verify(t, allowed) {
          const after = (await admin('GET', `/api/apps/${target}/config`, undefined, 200)).body;
          t.deepEqual(after, allowed ? { ...before, MATRIX: value } : before, 'config changed only if allowed');
        },
      };
    },
  },
  'GET /api/apps/:app/releases': { resource: 'app', prepare: read((a) => `/api/apps/${a}/releases`) },
  'GET /api/apps/:app/commits': { resource: 'app', prepare: read((a) => `/api/apps/${a}/commits`) },
  'GET /api/apps/:app/releases/:version': { resource: 'app', prepare: read((a) => `/api/apps/${a}/releases/v1`, [404]) },
  'POST /api/apps/:app/rollback': { resource: 'app', prepare: noReleaseMutation((a) => `/api/apps/${a}/rollback`, { version: 1 }) },
  // Deploying a release number goes the rollback way: no release yet means 409 no_release.
  'POST /api/apps/:app/deploy': { resource: 'app', prepare: noReleaseMutation((a) => `/api/apps/${a}/deploy`, { release: 1 }) },
  'GET /api/apps/:app/deploys': { resource: 'app', prepare: read((a) => `/api/apps/${a}/deploys`) },
  // No deploy has this id: allowed means 404 deploy_not_found; a denial is app_not_found or forbidden.
  'GET /api/apps/:app/deploys/:id': { resource: 'app', prepare: read((a) => `/api/apps/${a}/deploys/no-such-deploy`, [404]) },
  'GET /api/apps/:app/deploys/:id/output': { resource: 'app', prepare: read((a) => `/api/apps/${a}/deploys/no-such-deploy/output`, [404]) },
  'DELETE /api/apps/:app/build-cache': {
    resource: 'app',
    prepare: async (_p, target) => ({
      path: `/api/apps/${target}/build-cache`, ok: [200],
      async verify(t, allowed, res) {
        if (allowed) t.is(res.body.app, target, 'the answer names the app whose cache was cleared');
      },
    }),
  },
  'GET /api/apps/:app/ps': { resource: 'app', prepare: read((a) => `/api/apps/${a}/ps`) },
  'PATCH /api/apps/:app/formation': { resource: 'app', prepare: noReleaseMutation((a) => `/api/apps/${a}/formation`, { web: 1 }) },
  'POST /api/apps/:app/restart': { resource: 'app', prepare: noReleaseMutation((a) => `/api/apps/${a}/restart`, {}) },
  'GET /api/apps/:app/builds': { resource: 'app', prepare: read((a) => `/api/apps/${a}/builds`) },
  'GET /api/apps/:app/builds/:id/log': { resource: 'app', prepare: read((a) => `/api/apps/${a}/builds/1/log`, [404]) },
  'GET /api/apps/:app/deployments': { resource: 'app', prepare: read((a) => `/api/apps/${a}/deployments`) },
  'GET /api/apps/:app/logs': { resource: 'app', prepare: read((a) => `/api/apps/${a}/logs?lines=10`) },
  'GET /api/apps/:app/deploy-lock': { resource: 'app', prepare: read((a) => `/api/apps/${a}/deploy-lock`) },
  'GET /api/apps/:app/metrics': { resource: 'app', prepare: read((a) => `/api/apps/${a}/metrics`) },
  'PUT /api/apps/:app/deploy-lock': {
    resource: 'app',
    prepare: async (_p, target) => ({
      path: `/api/apps/${target}/deploy-lock`, body: { reason: 'matrix' }, ok: [200],
      async verify(t, allowed) {
        t.is((await admin('GET', `/api/apps/${target}/deploy-lock`, undefined, 200)).body.locked, allowed, 'locked only if allowed');
        await admin('DELETE', `/api/apps/${target}/deploy-lock`, undefined, 200);
      },
    }),
  },
  'DELETE /api/apps/:app/deploy-lock': {
    resource: 'app',
    prepare: async (_p, target) => {
      await admin('PUT', `/api/apps/${target}/deploy-lock`, { reason: 'matrix' }, 200);
      return {
        path: `/api/apps/${target}/deploy-lock`, ok: [200],
        async verify(t, allowed) {
          t.is((await admin('GET', `/api/apps/${target}/deploy-lock`, undefined, 200)).body.locked, !allowed, 'unlocked only if allowed');
          await admin('DELETE', `/api/apps/${target}/deploy-lock`, undefined, 200);
        },
      };
    },
  },
  'GET /api/users': { resource: 'server', prepare: read(() => '/api/users') },
  'POST /api/users': {
    resource: 'server',
    prepare: async () => {
      const name = unique('new-user-');
      return {
        path: '/api/users', body: { name, email: `${name}@example.org` }, ok: [201],
        async verify(t, allowed, res) {
          t.is(Boolean(await userRow(name)), allowed, `user ${name} exists only if allowed`);
          if (allowed) t.regex(res.body.inviteUrl, /\/invite\//);
          else t.false(res.text.includes('/invite/'), 'no invite link leaks');
        },
      };
    },
  },
  'POST /api/users/:user/invite': {
    resource: 'server',
    prepare: async () => {
      const name = unique('invitee-');
      await createUser(name);
      return {
        path: `/api/users/${name}/invite`, ok: [200],
        async verify(t, allowed, res) {
          if (allowed) t.regex(res.body.inviteUrl, /\/invite\//);
          else t.false(res.text.includes('/invite/'), 'no invite link leaks');
        },
      };
    },
  },
  'POST /api/users/:user/disable': {
    resource: 'server',
    prepare: async () => {
      const name = unique('disable-me-');
      await createUser(name);
      return {
        path: `/api/users/${name}/disable`, ok: [200],
        async verify(t, allowed) {
          t.is((await userRow(name))?.disabled, allowed);
        },
      };
    },
  },
  'POST /api/users/:user/enable': {
    resource: 'server',
    prepare: async () => {
      const name = unique('enable-me-');
      await createUser(name);
      await admin('POST', `/api/users/${name}/disable`, undefined, 200);
      return {
        path: `/api/users/${name}/enable`, ok: [200],
        async verify(t, allowed) {
          t.is((await userRow(name))?.disabled, !allowed);
        },
      };
    },
  },
  'DELETE /api/users/:user': {
    resource: 'server',
    prepare: async () => {
      const name = unique('delete-me-');
      await createUser(name);
      return {
        path: `/api/users/${name}`, ok: [204],
        async verify(t, allowed) {
          t.is(Boolean(await userRow(name)), !allowed);
        },
      };
    },
  },
  'GET /api/access': {
    resource: 'server',
    prepare: async (p) => ({
      path: '/api/access', ok: [200],
      async verify(t, allowed, res) {
        if (!allowed) return;
        // Everyone sees their own grants, managers those of what they manage, admins all.
        type G = { user: string; scope: Scope; role: string };
        const key = (g: G) => `${g.user}@${g.scope.kind}:${g.scope.name}=${g.role}`;
        const all = (await admin('GET', '/api/access', undefined, 200)).body as G[];
        const expected = all.filter((g) => g.user === p.user || allows(p, 'manage', { kind: g.scope.kind, name: g.scope.name })).map(key).sort();
        t.deepEqual((res.body as G[]).map(key).sort(), expected, `${p.label}: visible grants`);
      },
    }),
  },
  'POST /api/access': {
    resource: 'body-scope',
    targets: [...APP_TARGETS, 'own-cluster', 'foreign-cluster'],
    prepare: async (_p, target) => {
      const grantee = unique('grantee-');
      await createUser(grantee);
      const scope: Scope = { kind: kindOf(target!), name: target! };
      return {
        path: '/api/access', body: { user: grantee, ...scopeBody(scope), role: 'viewer' }, ok: [201],
        async verify(t, allowed) {
          t.deepEqual(await grantsOf(grantee), allowed ? [`${scope.kind}:${scope.name}=viewer`] : [], 'a grant exists only if allowed');
          if (allowed) grantInModel(scope, grantee, 'viewer');
        },
      };
    },
  },
  'POST /api/access/revoke': {
    resource: 'body-scope',
    targets: [...APP_TARGETS, 'own-cluster', 'foreign-cluster'],
    prepare: async (_p, target) => {
      const grantee = unique('revokee-');
      await createUser(grantee);
      const scope: Scope = { kind: kindOf(target!), name: target! };
      await grant(grantee, scope, 'viewer');
      return {
        path: '/api/access/revoke', body: { user: grantee, ...scopeBody(scope) }, ok: [204],
        async verify(t, allowed) {
          t.deepEqual(await grantsOf(grantee), allowed ? [] : [`${scope.kind}:${scope.name}=viewer`], 'the grant is gone only if allowed');
          if (allowed) grantInModel(scope, grantee, undefined);
        },
      };
    },
  },
  'GET /api/tokens': {
    resource: 'server',
    prepare: async (p) => ({
      path: '/api/tokens', ok: [200],
      async verify(t, allowed, res) {
        if (!allowed) return;
        t.deepEqual((res.body as Array<{ name: string }>).map((x) => x.name), await tokenNames(p.ownerToken), 'only the caller\'s own tokens');
        t.false(res.text.includes(p.token), 'token plaintext is never listed');
      },
    }),
  },
  'POST /api/tokens': {
    resource: 'server',
    prepare: async (p) => {
      const name = unique('made-');
      return {
        path: '/api/tokens', body: { name }, ok: [201],
        async verify(t, allowed, res) {
          t.is((await tokenNames(p.ownerToken)).includes(name), allowed, `token ${name} exists only if allowed`);
          if (allowed) t.regex(res.body.token, /^scl_[0-9A-Za-z]{30}_[0-9A-Za-z]{6}$/);
        },
      };
    },
  },
  'DELETE /api/tokens/:name': {
    resource: 'server',
    prepare: async (p) => {
      const name = unique('doomed-');
      const made = await api('POST', '/api/tokens', p.ownerToken, { name });
      if (made.status !== 201) throw new Error(`setup: token ${made.status}`);
      return {
        path: `/api/tokens/${name}`, ok: [204],
        async verify(t, allowed) {
          t.is((await tokenNames(p.ownerToken)).includes(name), !allowed, `token ${name} is gone only if allowed`);
          t.is((await api('GET', '/api/whoami', made.body.token)).status, allowed ? 401 : 200, 'a revoked token stops working at once');
        },
      };
    },
  },
  'GET /api/keys': { resource: 'server', prepare: read(() => '/api/keys') },
  'POST /api/keys': {
    resource: 'server',
    prepare: async (p) => {
      const before = await fingerprints(p.ownerToken);
      return {
        path: '/api/keys', body: { publicKey: sshKey() }, ok: [201],
        async verify(t, allowed) {
          t.is((await fingerprints(p.ownerToken)).length, before.length + (allowed ? 1 : 0), 'a key is added only if allowed');
        },
      };
    },
  },
  'DELETE /api/keys/:fingerprint': {
    resource: 'server',
    prepare: async (p) => {
      const made = await api('POST', '/api/keys', p.ownerToken, { publicKey: sshKey() });
      if (made.status !== 201) throw new Error(`setup: key ${made.status} ${made.text}`);
      const fingerprint = made.body.fingerprint as string;
      return {
        path: `/api/keys/${encodeURIComponent(fingerprint)}`, ok: [204],
        async verify(t, allowed) {
          t.is((await fingerprints(p.ownerToken)).includes(fingerprint), !allowed, 'the key is gone only if allowed');
        },
      };
    },
  },
  'GET /api/audit': { resource: 'server', prepare: read(() => '/api/audit?limit=5') },
  'GET /api/hooks/timings': { resource: 'server', prepare: read(() => '/api/hooks/timings') },
  'GET /api/clusters': {
    resource: 'server',
    prepare: async (p) => ({
      path: '/api/clusters', ok: [200],
      async verify(t, allowed, res) {
        if (!allowed) return;
        const all = ((await admin('GET', '/api/clusters', undefined, 200)).body as Array<{ name: string }>).map((c) => c.name).sort();
        const seen = (res.body as Array<{ name: string }>).map((c) => c.name).sort();
        t.deepEqual(seen, all.filter((name) => allows(p, 'read', { kind: 'cluster', name })), `${p.label}: visible clusters`);
      },
    }),
  },
  'POST /api/clusters': {
    resource: 'server',
    prepare: async () => {
      const name = unique('nc-');
      return {
        path: '/api/clusters', body: { name, provider: PROVIDER, roles: { app: 0, router: 0 } }, ok: [201],
        async verify(t, allowed) {
          t.is(await clusterExists(name), allowed, `cluster ${name} exists only if allowed`);
          if (allowed) await admin('DELETE', `/api/clusters/${name}`, undefined, 204);
        },
      };
    },
  },
  'GET /api/clusters/:cluster': { resource: 'cluster', targets: CLUSTER_TARGETS, prepare: read((c) => `/api/clusters/${c}`) },
  'GET /api/clusters/:cluster/metrics': { resource: 'cluster', targets: CLUSTER_TARGETS, prepare: read((c) => `/api/clusters/${c}/metrics`) },
  'PATCH /api/clusters/:cluster/roles': {
    resource: 'cluster',
    targets: ['own-cluster', 'foreign-cluster'],
    prepare: async (_p, target) => {
      const name = await throwawayCluster(target!, 'roles');
      return {
        path: `/api/clusters/${name}/roles`, on: name, body: { app: 0, router: 0, extra: 0 }, ok: [200],
        async verify(t, allowed) {
          const roles = ((await admin('GET', `/api/clusters/${name}`, undefined, 200)).body.roles as Array<{ name: string }>).map((r) => r.name);
          t.is(roles.includes('extra'), allowed, 'roles changed only if allowed');
          if (allowed) spent(`roles:${target}`);
        },
      };
    },
  },
  'DELETE /api/clusters/:cluster': {
    resource: 'cluster',
    targets: ['own-cluster', 'foreign-cluster'],
    prepare: async (_p, target) => {
      const name = await throwawayCluster(target!, 'destroy');
      return {
        path: `/api/clusters/${name}`, on: name, ok: [204],
        async verify(t, allowed) {
          t.is(await clusterExists(name), !allowed, `cluster ${name} is gone only if allowed`);
          if (allowed) spent(`destroy:${target}`);
        },
      };
    },
  },
  'GET /api/clusters/:cluster/events': { resource: 'cluster', targets: CLUSTER_TARGETS, prepare: read((c) => `/api/clusters/${c}/events`) },
  // Every principal may ask; the answer holds only what they may read (the default cluster's FAKE
  // instances have run since the server started, so the admin's answer has a row).
  'GET /api/usage': {
    resource: 'server',
    prepare: async (p) => ({
      path: '/api/usage?by=cluster', ok: [200],
      async verify(t, allowed, res) {
        if (!allowed) return;
        const all = ((await admin('GET', '/api/usage?by=cluster', undefined, 200)).body.rows as Array<{ cluster: string }>).map((c) => c.cluster);
        t.true(all.includes('local'), 'the admin sees the default cluster\'s usage');
        const seen = (res.body.rows as Array<{ cluster: string }>).map((c) => c.cluster);
        t.deepEqual(seen, all.filter((name) => allows(p, 'read', { kind: 'cluster', name })), `${p.label}: visible usage`);
      },
    }),
  },
  'GET /api/usage/prices': { resource: 'server', prepare: read(() => '/api/usage/prices') },
  'PUT /api/usage/prices': {
    resource: 'server',
    prepare: async () => {
      const name = unique('matrix-type-');
      const names = async () => ((await admin('GET', '/api/usage/prices', undefined, 200)).body.instanceTypes as Array<{ name: string }>).map((x) => x.name);
      return {
        path: '/api/usage/prices', body: { instanceTypes: { [name]: 0.5 } }, ok: [200],
        async verify(t, allowed) {
          t.is((await names()).includes(name), allowed, `a price for ${name} is stored only if allowed`);
          if (allowed) await admin('PUT', '/api/usage/prices', { instanceTypes: { [name]: null } }, 200);
        },
      };
    },
  },
};

function resourceOf(route: RouteCase, name: string | undefined): Resource {
  switch (route.resource) {
    case 'server': return { kind: 'server' };
    case 'app': return { kind: 'app', name: name! };
    case 'cluster': case 'body-cluster': return { kind: 'cluster', name: name! };
    case 'body-scope': return { kind: kindOf(name!), name: name! };
  }
}

async function deniedAuditRows(): Promise<number> {
  return ((await admin('GET', '/api/audit?outcome=denied&limit=5000', undefined, 200)).body as unknown[]).length;
}

// ---- the tests --------------------------------------------------------------------------------

test.serial('every declared route has exactly the permission in EXPECTED, and nothing else is declared', (t) => {
  const declared: Record<string, string> = {};
  for (const r of declaredRoutes) {
    const key = `${r.method.toUpperCase()} ${r.path}`;
    t.false(key in declared, `${key} is declared twice`);
    declared[key] = r.action;
  }
  t.deepEqual(declared, EXPECTED, 'a route was added, removed or changed its action: review it and update EXPECTED (and CASES)');
  t.deepEqual(Object.keys(CASES).sort(), Object.keys(EXPECTED).sort(), 'every route has a case in the matrix');
});

for (const key of Object.keys(EXPECTED)) {
  test.serial(`matrix: ${key}`, async (t) => {
    const [method] = key.split(' ') as [string];
    const action = EXPECTED[key]!;
    const route = CASES[key];
    if (!route) return t.fail(`no case for ${key}`);
    const targets = route.targets ?? (route.resource === 'app' ? APP_TARGETS : route.resource === 'cluster' ? CLUSTER_TARGETS : [undefined]);
    const deniedBefore = await deniedAuditRows();
    let denials = 0;
    for (const p of principals) {
      for (const target of targets) {
        const prepared = await route.prepare(p, target);
        const resource = resourceOf(route, prepared.on ?? target);
        const allowed = allows(p, action, resource);
        const res = await api(method, prepared.path, p.token, prepared.body);
        const where = `${p.label} → ${method} ${prepared.path}${target ? ` (like ${target})` : ''}: ${res.status} ${res.text.slice(0, 200)}`;
        if (allowed) {
          t.true(prepared.ok.includes(res.status), `allowed, expected ${prepared.ok.join('/')}: ${where}`);
          t.not(res.body?.error?.code, 'app_not_found', where);
        } else {
          denials++;
          // Only apps are private: someone who may not even read one is told it does not exist.
          if (resource.kind === 'app' && !allows(p, 'read', resource)) {
            t.is(res.status, 404, `denied and cannot read the app, expected 404: ${where}`);
            t.is(res.body?.error?.code, 'app_not_found', where);
          } else {
            t.is(res.status, 403, `denied, expected 403: ${where}`);
            t.is(res.body?.error?.code, 'forbidden', where);
          }
        }
        await prepared.verify?.(t, allowed, res);
      }
    }
    t.is(await deniedAuditRows() - deniedBefore, denials, 'every denial wrote one audit row');
  });
}

/** A concrete path for a route pattern, with existing resources. */
const concretePath = (pattern: string) => pattern
  .replace(':app', 'own').replace(':version', '1').replace(':id', '1').replace(':user', 'viewer').replace(':cluster', 'own-cluster')
  .replace(':name', 'matrix').replace(':fingerprint', 'SHA256%3Aabc');

test.serial('no token, a wrong one, a disabled, deleted or expired user\'s token: 401 on every route', async (t) => {
  const gone = unique('gone-');
  const off = unique('off-');
  await createUser(gone);
  await createUser(off);
  const goneToken = await tokenFor(gone);
  const offToken = await tokenFor(off);
  const expiredToken = await tokenFor('manager', { expiresAt: new Date(Date.now() - 1000).toISOString() });
  await admin('DELETE', `/api/users/${gone}`, undefined, 204);
  await admin('POST', `/api/users/${off}/disable`, undefined, 200);
  // A real token with one character of its checksum changed.
  const managerToken = byLabel('manager').token;
  const typo = `${managerToken.slice(0, -1)}${managerToken.endsWith('A') ? 'B' : 'A'}`;
  const tokens: Array<[string, string | undefined]> = [
    ['none', undefined], ['empty', ''], ['garbage', 'scl_garbage'], ['checksum typo', typo], ['deleted user', goneToken],
    ['disabled user', offToken], ['expired', expiredToken],
  ];
  for (const key of Object.keys(EXPECTED)) {
    const [method, pattern] = key.split(' ') as [string, string];
    const body = method === 'GET' || method === 'DELETE' ? undefined : {};
    for (const [label, token] of tokens) {
      const res = await api(method, concretePath(pattern), token, body);
      t.is(res.status, 401, `${label}: ${key} → ${res.status} ${res.text.slice(0, 120)}`);
      t.is(res.body?.error?.code, 'unauthenticated', `${label}: ${key}`);
    }
  }
  // Basic auth is for git only; the API wants a bearer token.
  const basic = await fetch(`${url}/api/apps`, { headers: { authorization: `Basic ${Buffer.from(`x:${adminToken}`).toString('base64')}` } });
  t.is(basic.status, 401);
  t.true(await appExists('own'), 'nothing happened along the way');
  t.true(await clusterExists('own-cluster'));
});

test.serial('existence is private: to someone without a role, a foreign app answers exactly like a missing one', async (t) => {
  const outsider = byLabel('outsider');
  for (const key of Object.keys(EXPECTED).filter((k) => k.includes(':app'))) {
    const [method, pattern] = key.split(' ') as [string, string];
    const body = method === 'GET' || method === 'DELETE' ? undefined : {};
    const answers = [];
    for (const app of ['foreign', 'no-such-app']) {
      const res = await api(method, concretePath(pattern).replace('/own', `/${app}`), outsider.token, body);
      answers.push({ status: res.status, body: res.text.replaceAll(app, '<app>') });
    }
    t.deepEqual(answers[0], answers[1], key);
  }
  const grantsFiltered = [];
  for (const app of ['foreign', 'no-such-app']) grantsFiltered.push((await api('GET', `/api/access?app=${app}`, outsider.token)).body);
  t.deepEqual(grantsFiltered[0], grantsFiltered[1], 'GET /api/access?app=…');
});

// Was a known bug (fixed): createApiToken (plugins/access/service.ts) checks that a token's app scope
// exists before anything else, for any caller, so it answers 201 for an app the caller cannot see
// and 404 app_not_found for a missing one: an existence oracle for private apps.
test.serial('a token scoped to an app the caller cannot see is refused like one scoped to a missing app', async (t) => {
  const outsider = byLabel('outsider');
  const answers = [];
  for (const app of ['foreign', 'no-such-app']) {
    const res = await api('POST', '/api/tokens', outsider.token, { name: unique('probe-'), app });
    answers.push({ status: res.status, code: res.body?.error?.code });
  }
  t.deepEqual(answers[0], answers[1], `foreign → ${JSON.stringify(answers[0])}, missing → ${JSON.stringify(answers[1])}`);
  t.is(answers[0]!.status, 404);
});

test.serial('a grant on an app goes with the app: a new app of the same name is private again', async (t) => {
  const name = unique('reborn-');
  await createApp(name);
  await admin('POST', '/api/access', { user: 'outsider', app: name, role: 'manager' }, 201);
  t.is((await api('GET', `/api/apps/${name}`, byLabel('outsider').token)).status, 200);
  await admin('DELETE', `/api/apps/${name}`, undefined, 204);
  await createApp(name);
  const res = await api('GET', `/api/apps/${name}`, byLabel('outsider').token);
  t.is(res.status, 404, res.text);
  t.deepEqual((await grantsOf('outsider')).filter((g) => g.includes(name)), []);
  await admin('DELETE', `/api/apps/${name}`, undefined, 204);
  appCluster.delete(name);
});

// Was a known bug (fixed): destroyCluster deleted the cluster but not the grants on it. Grants are
// keyed by scope name, so a later cluster of the same name inherited every old role — and with it
// every app placed on it. Now both destroys call the destroyed hook, and the access plugin drops them.
test.serial('a grant on a cluster goes with the cluster: a new cluster of the same name grants nothing', async (t) => {
  const name = unique('reborn-c-');
  await createCluster(name);
  await admin('POST', '/api/access', { user: 'outsider', cluster: name, role: 'manager' }, 201);
  t.is((await api('GET', `/api/clusters/${name}`, byLabel('outsider').token)).status, 200);
  await admin('DELETE', `/api/clusters/${name}`, undefined, 204);
  await createCluster(name);
  try {
    t.deepEqual((await grantsOf('outsider')).filter((g) => g.includes(name)), [], 'no grant survives its cluster');
    t.is((await api('GET', `/api/clusters/${name}`, byLabel('outsider').token)).status, 403);
  } finally {
    await admin('POST', '/api/access/revoke', { user: 'outsider', cluster: name });
    await admin('DELETE', `/api/clusters/${name}`);
  }
});

test.serial('git: viewers fetch but cannot push (403); those without a role learn nothing (404)', async (t) => {
  const repo: AppRepo = await createAppRepo('node-hello');
  t.teardown(() => repo.cleanup());
  const lsRemote = async (app: string, token: string) => {
    try {
      await execFileAsync('git', ['ls-remote', authedGitUrl(url, app, token)], { env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
      return { code: 0, output: '' };
    } catch (error) {
      const e = error as { code?: number; stderr?: string };
      return { code: e.code ?? 1, output: e.stderr ?? '' };
    }
  };
  const headsOf = (app: string) => fs.readdirSync(path.join(dataDir, 'repos', `${app}.git`, 'refs', 'heads'));

  t.is((await lsRemote('own', byLabel('viewer').token)).code, 0, 'a viewer may fetch its app');
  t.is((await lsRemote('clustered', byLabel('viewer').token)).code, 0, 'a cluster viewer may fetch the cluster\'s apps');
  const foreign = await lsRemote('foreign', byLabel('viewer').token);
  t.not(foreign.code, 0);
  t.regex(foreign.output, /not found|404/i, foreign.output);
  const scoped = await lsRemote('own', byLabel('manager scoped to foreign').token);
  t.not(scoped.code, 0, 'a token scoped to another app cannot fetch');
  t.regex(scoped.output, /not found|404/i, scoped.output);
  t.is((await lsRemote('foreign', byLabel('multi').token)).code, 0, 'multi manages foreign');
  const multiScoped = await lsRemote('foreign', byLabel('multi scoped to own').token);
  t.not(multiScoped.code, 0, 'the scope narrows what multi may do');

  const viewerPush = await repo.push(authedGitUrl(url, 'own', byLabel('viewer').token));
  t.not(viewerPush.code, 0);
  // The status as git reports it ("error: 403"), not digits that happen to be in the URL's port.
  const httpStatus = /error: (\d{3})\b/;
  t.is(httpStatus.exec(viewerPush.output)?.[1], '403', viewerPush.output);
  const cappedPush = await repo.push(authedGitUrl(url, 'own', byLabel('manager capped to viewer').token));
  t.not(cappedPush.code, 0);
  t.is(httpStatus.exec(cappedPush.output)?.[1], '403', cappedPush.output);
  const outsiderPush = await repo.push(authedGitUrl(url, 'own', byLabel('outsider').token));
  t.not(outsiderPush.code, 0);
  t.regex(outsiderPush.output, /not found|404/i, outsiderPush.output);
  t.not(httpStatus.exec(outsiderPush.output)?.[1], '403', 'an outsider does not learn that the app exists');
  t.deepEqual(headsOf('own'), [], 'no refused push stored anything');

  // A deployer may push; a non-deploy branch is only stored (no build).
  await repo.git('checkout', '-q', '-b', 'feature');
  const deployerPush = await repo.push(authedGitUrl(url, 'own', byLabel('deployer').token), 'feature');
  t.is(deployerPush.code, 0, deployerPush.output);
  t.regex(deployerPush.output, /Stored\. Only pushes to main (or master )?deploy own\./, 'main, or main or master while no push or setting has chosen');
  t.deepEqual(headsOf('own'), ['feature']);
  const deployerForeign = await repo.push(authedGitUrl(url, 'foreign', byLabel('deployer').token), 'feature');
  t.not(deployerForeign.code, 0);
  t.deepEqual(headsOf('foreign'), []);

  const denied = (await admin('GET', '/api/audit?outcome=denied&action=git.&limit=100', undefined, 200)).body as Array<{ actor: string; action: string; target: string }>;
  t.true(denied.some((a) => a.actor === 'viewer' && a.action === 'git.push' && a.target === 'own'), 'refused pushes are audited');
  t.true(denied.some((a) => a.actor === 'outsider' && a.action === 'git.push' && a.target === 'own'));
});
