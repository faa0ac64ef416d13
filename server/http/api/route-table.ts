// Every API route declares the action it needs; the authorize hook decides. A route cannot be
// added without one, which keeps the permission matrix complete.
import type Router from '@koa/router';
import type Koa from 'koa';
import type { Scalarium } from '../../core/scalarium.ts';
import type { Action, Resource } from '../../core/types.ts';
import type { Principal } from '../../db/identity.ts';
import { ScalariumError } from '../../core/errors.ts';
import { audit } from '../../core/audit.ts';

export type Handler = (ctx: Koa.Context, principal: Principal) => Promise<void>;

export interface RouteDeclaration {
  method: 'get' | 'post' | 'patch' | 'put' | 'delete';
  path: string;
  action: Action;
  resource: (ctx: Koa.Context) => Resource | Promise<Resource>;
  handler: Handler;
}

/** All declared routes, for docs and for the permission tests. */
export const declaredRoutes: Array<Pick<RouteDeclaration, 'method' | 'path' | 'action'>> = [];

export const appResource = (ctx: Koa.Context): Resource => ({ kind: 'app', name: String((ctx as unknown as { params: Record<string, string> }).params.app) });
export const clusterResource = (ctx: Koa.Context): Resource => ({ kind: 'cluster', name: String((ctx as unknown as { params: Record<string, string> }).params.cluster) });
export const serverResource = (): Resource => ({ kind: 'server' });

/**
 * Refuses to start with an API route added past declare() (router.get …): it would run without
 * the authorize hook. Middleware (router.use) is no route and is left alone.
 */
export function assertAllDeclared(router: Router): void {
  const declared = new Set(declaredRoutes.map((r) => `${r.method.toUpperCase()} ${r.path}`));
  for (const layer of router.stack) {
    const method = layer.methods.find((m) => m !== 'HEAD');
    if (method && !declared.has(`${method} ${layer.path}`)) {
      throw new Error(`API route ${method} ${layer.path} was added without declare(): add it with declare() from server/plugin-api.ts, naming the action it needs`);
    }
  }
}

export function declare(scalarium: Scalarium, router: Router, route: RouteDeclaration): void {
  declaredRoutes.push({ method: route.method, path: route.path, action: route.action });
  router[route.method](route.path, async (ctx) => {
    const principal = ctx.state.principal as Principal | undefined;
    if (!principal) throw new ScalariumError('unauthenticated');
    const resource = await route.resource(ctx);
    const allowed = await scalarium.hooks.authorize.promise(principal, route.action, resource);
    if (!allowed) {
      await audit(scalarium, principal, `${route.method.toUpperCase()} ${route.path}`, resource.name, { outcome: 'denied', source: ctx.ip });
      // An app the caller may not even see is "not found": its existence is private.
      if (resource.kind === 'app' && !(await scalarium.hooks.authorize.promise(principal, 'read', resource))) {
        throw new ScalariumError('app_not_found', { app: resource.name });
      }
      throw new ScalariumError('forbidden', { reason: await scalarium.hooks.whyDenied.promise(principal, route.action, resource) });
    }
    await route.handler(ctx, principal);
  });
}
