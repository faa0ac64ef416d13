// Who may do what: roles per app and per cluster (a cluster role covers its apps), after OpsWorks'
// Show / Deploy / Manage, plus the admin flag. Tokens may narrow this further: a scope (one app or
// cluster) and a role cap (e.g. a read-only token).
import { findApp, findClusterById, type Db, type Principal, type Action, type Resource } from '../../server/plugin-api.ts';
import { rolesFor } from './db/grants.ts';

const RANK = { none: 0, viewer: 1, deployer: 2, manager: 3, admin: 4 } as const;
type Level = keyof typeof RANK;

/** The least level each action needs. */
export const NEEDS: Record<Action, Level> = {
  read: 'viewer',
  // An app's logs, like its metrics and usage, are for everyone who may see the app (issue 10).
  logs: 'viewer',
  deploy: 'deployer',
  configure: 'manager',
  scale: 'manager',
  destroy: 'manager',
  create: 'manager',
  manage: 'manager',
  admin: 'admin',
  self: 'viewer',
};

const max = (levels: Level[]): Level => levels.reduce<Level>((a, b) => (RANK[b] > RANK[a] ? b : a), 'none');

async function clusterOfApp(db: Db, app: string): Promise<string | undefined> {
  const row = await findApp(db, app);
  if (!row) return undefined;
  return (await findClusterById(db, row.cluster_id))?.name;
}

/** The principal's level on a resource, before any token cap. */
async function levelOn(db: Db, principal: Principal, resource: Resource): Promise<Level> {
  if (principal.user.admin) return 'admin';
  if (resource.kind === 'app' && resource.name) {
    const cluster = await clusterOfApp(db, resource.name);
    const scopes = [{ kind: 'app' as const, name: resource.name }, ...(cluster ? [{ kind: 'cluster' as const, name: cluster }] : [])];
    return max(await rolesFor(db, principal.user.id, scopes));
  }
  if (resource.kind === 'cluster' && resource.name) return max(await rolesFor(db, principal.user.id, [{ kind: 'cluster', name: resource.name }]));
  return 'none';
}

async function inTokenScope(db: Db, principal: Principal, resource: Resource): Promise<boolean> {
  const scope = principal.scope;
  if (!scope) return true;
  if (resource.kind === 'app' && resource.name) {
    if (scope.kind === 'app') return scope.name === resource.name;
    return (await clusterOfApp(db, resource.name)) === scope.name;
  }
  if (resource.kind === 'cluster') return scope.kind === 'cluster' && scope.name === resource.name;
  return false;
}

export async function decide(db: Db, principal: Principal, action: Action, resource: Resource): Promise<boolean> {
  if (principal.user.disabled) return false;
  // Server-wide reads (status, whoami, the app list — filtered per app) are open to every principal.
  if (resource.kind === 'server' && action === 'read') return true;
  // Managing your own tokens and keys needs a full (unscoped, uncapped) credential.
  if (action === 'self') return !principal.scope && !principal.role;
  if (!(await inTokenScope(db, principal, resource))) return false;
  let level = await levelOn(db, principal, resource);
  if (principal.role && RANK[principal.role] < RANK[level]) level = principal.role;
  return RANK[level] >= RANK[NEEDS[action]];
}

/** Why `decide` said no, for the one it said no to: the role the action needs and what limits them. */
export async function explain(db: Db, principal: Principal, action: Action, resource: Resource): Promise<string | undefined> {
  if (principal.user.disabled) return 'your account is disabled';
  const what = resource.kind === 'server' ? 'this server' : `${resource.kind} ${resource.name ?? ''}`.trim();
  if (action === 'self') return 'managing your own tokens and keys needs a full credential, not a scoped or capped token';
  if (!(await inTokenScope(db, principal, resource))) {
    const scope = principal.scope!;
    return `the token ${principal.tokenName} is scoped to ${scope.kind} ${scope.name}, not ${what}`;
  }
  const needs = NEEDS[action];
  const own = await levelOn(db, principal, resource);
  if (principal.role && RANK[principal.role] < RANK[needs] && RANK[own] >= RANK[needs]) {
    return `${action} on ${what} needs the ${needs} role; the token ${principal.tokenName} is capped at ${principal.role}`;
  }
  return `${action} on ${what} needs the ${needs} role${own === 'none' ? '' : `; you have ${own}`}`;
}
