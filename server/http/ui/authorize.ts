// The UI asks the same authorize hook as the API, per app or cluster and action; denials are audited.
// As in the API, an app or cluster the user may not even read is "not found" (its existence is private).
import type Koa from 'koa';
import type { Scalarium } from '../../core/scalarium.ts';
import type { Action, Resource } from '../../core/types.ts';
import type { Principal } from '../../db/identity.ts';
import { ScalariumError } from '../../core/errors.ts';
import { audit } from '../../core/audit.ts';

export async function mayOnApp(scalarium: Scalarium, principal: Principal, action: Action, app: string): Promise<boolean> {
  return Boolean(await scalarium.hooks.authorize.promise(principal, action, { kind: 'app', name: app }));
}

async function deny(scalarium: Scalarium, ctx: Koa.Context, principal: Principal, target?: string): Promise<void> {
  await audit(scalarium, principal, `${ctx.method} ${ctx.path}`.slice(0, 255), target?.slice(0, 64), { outcome: 'denied', source: ctx.ip });
}

/** The refusal, saying why (the role the action needs) when a plugin can tell. */
async function forbidden(scalarium: Scalarium, principal: Principal, action: Action, resource: Resource): Promise<ScalariumError> {
  return new ScalariumError('forbidden', { reason: await scalarium.hooks.whyDenied.promise(principal, action, resource) });
}

export async function authorizeApp(scalarium: Scalarium, ctx: Koa.Context, principal: Principal, action: Action, app: string): Promise<void> {
  if (await mayOnApp(scalarium, principal, action, app)) return;
  await deny(scalarium, ctx, principal, app);
  if (action !== 'read' && (await mayOnApp(scalarium, principal, 'read', app))) throw await forbidden(scalarium, principal, action, { kind: 'app', name: app });
  throw new ScalariumError('app_not_found', { app: app.slice(0, 64) });
}

export async function mayOnCluster(scalarium: Scalarium, principal: Principal, action: Action, cluster: string): Promise<boolean> {
  return Boolean(await scalarium.hooks.authorize.promise(principal, action, { kind: 'cluster', name: cluster }));
}

/** Like authorizeApp: a cluster the user may not read does not exist for them. */
export async function authorizeCluster(scalarium: Scalarium, ctx: Koa.Context, principal: Principal, action: Action, cluster: string): Promise<void> {
  if (await mayOnCluster(scalarium, principal, action, cluster)) return;
  await deny(scalarium, ctx, principal, cluster);
  if (action !== 'read' && (await mayOnCluster(scalarium, principal, 'read', cluster))) throw await forbidden(scalarium, principal, action, { kind: 'cluster', name: cluster });
  throw new ScalariumError('cluster_not_found', { cluster: cluster.slice(0, 64) });
}

/** Server-wide actions: 'admin' (users, audit log) and 'self' (one's own tokens and keys). */
export async function authorizeServer(scalarium: Scalarium, ctx: Koa.Context, principal: Principal, action: 'admin' | 'self'): Promise<void> {
  const resource: Resource = { kind: 'server' };
  if (await scalarium.hooks.authorize.promise(principal, action, resource)) return;
  await deny(scalarium, ctx, principal);
  throw await forbidden(scalarium, principal, action, resource);
}
