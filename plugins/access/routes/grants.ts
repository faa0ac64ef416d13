import type Koa from 'koa';
import type Router from '@koa/router';
import type { z } from 'zod';
import {
  declare, serverResource, readJson, findUserByName, isValidName, parseBody, type Scalarium, type Resource,
} from '../../../server/plugin-api.ts';
import { listGrants } from '../db/grants.ts';
import { grant, revoke } from '../service.ts';
import { grantBody, revokeBody, scopeOf } from '../bodies.ts';
import { decide } from '../policy.ts';

/**
 * Grants are managed on a scope, which the body names: the body is parsed first (a malformed one
 * is refused before anything is authorised) and kept for the handler.
 */
function scopeResource(schema: typeof grantBody | typeof revokeBody) {
  return async (ctx: Koa.Context): Promise<Resource> => {
    const body = parseBody(schema, await readJson(ctx));
    ctx.state.body = body;
    return scopeOf(body);
  };
}

export function grantRoutes(scalarium: Scalarium, router: Router): void {
  declare(scalarium, router, {
    method: 'get', path: '/api/access', action: 'read', resource: serverResource,
    async handler(ctx, principal) {
      const q = ctx.query;
      const user = typeof q.user === 'string' && isValidName(q.user) ? await findUserByName(scalarium.db, q.user) : undefined;
      if (typeof q.user === 'string' && !user) {
        ctx.body = [];
        return;
      }
      const scope = typeof q.app === 'string' ? { kind: 'app' as const, name: q.app } : typeof q.cluster === 'string' ? { kind: 'cluster' as const, name: q.cluster } : undefined;
      const grants = await listGrants(scalarium.db, { userId: user?.id, scope });
      // Everyone sees their own grants; managers see those of the scopes they manage; admins all.
      const visible = [];
      for (const g of grants) {
        if (g.userId === principal.user.id || (await decide(scalarium.db, principal, 'manage', { kind: g.scope.kind, name: g.scope.name }))) {
          visible.push({ user: g.user, scope: g.scope, role: g.role, ssh: g.ssh, sudo: g.sudo, createdAt: g.createdAt });
        }
      }
      ctx.body = visible;
    },
  });
  declare(scalarium, router, {
    method: 'post', path: '/api/access', action: 'manage', resource: scopeResource(grantBody),
    async handler(ctx, principal) {
      ctx.status = 201;
      ctx.body = await grant(scalarium, principal, ctx.state.body as z.output<typeof grantBody>);
    },
  });
  declare(scalarium, router, {
    method: 'post', path: '/api/access/revoke', action: 'manage', resource: scopeResource(revokeBody),
    async handler(ctx, principal) {
      await revoke(scalarium, principal, ctx.state.body as z.output<typeof revokeBody>);
      ctx.status = 204;
    },
  });
}
