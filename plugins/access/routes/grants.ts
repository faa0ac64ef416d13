import type Koa from 'koa';
import type Router from '@koa/router';
import type { Scalarium } from '../../../server/core/scalarium.ts';
import type { Resource } from '../../../server/core/types.ts';
import { declare, serverResource } from '../../../server/http/api/route-table.ts';
import { readJson } from '../../../server/http/json-body.ts';
import { listGrants } from '../../../server/db/grants.ts';
import { findUserByName } from '../../../server/db/identity.ts';
import { isValidName } from '../../../server/core/names.ts';
import { grant, grantScope, revoke } from '../service.ts';
import { decide } from '../policy.ts';

/** Grants are managed on a scope: the body names it, so the body is read first. */
async function scopeResource(ctx: Koa.Context): Promise<Resource> {
  const body = (await readJson(ctx)) as Record<string, unknown>;
  ctx.state.body = body;
  const scope = grantScope(body);
  return { kind: scope.kind, name: scope.name };
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
    method: 'post', path: '/api/access', action: 'manage', resource: scopeResource,
    async handler(ctx, principal) {
      ctx.status = 201;
      ctx.body = await grant(scalarium, principal, ctx.state.body as Record<string, unknown>);
    },
  });
  declare(scalarium, router, {
    method: 'post', path: '/api/access/revoke', action: 'manage', resource: scopeResource,
    async handler(ctx, principal) {
      await revoke(scalarium, principal, ctx.state.body as Record<string, unknown>);
      ctx.status = 204;
    },
  });
}
