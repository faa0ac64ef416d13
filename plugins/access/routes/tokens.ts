import type Router from '@koa/router';
import { type Scalarium, declare, serverResource, readJson, listTokens } from '../../../server/plugin-api.ts';
import { createApiToken, revokeApiToken } from '../service.ts';

export function tokenRoutes(scalarium: Scalarium, router: Router): void {
  declare(scalarium, router, {
    method: 'get', path: '/api/tokens', action: 'self', resource: serverResource,
    async handler(ctx, principal) {
      ctx.body = await listTokens(scalarium.db, principal.user.id);
    },
  });
  declare(scalarium, router, {
    method: 'post', path: '/api/tokens', action: 'self', resource: serverResource,
    async handler(ctx, principal) {
      // Parsed by the service (tokenBody), which the account page's form reaches too.
      const created = await createApiToken(scalarium, principal, await readJson(ctx));
      ctx.status = 201;
      ctx.body = created;
    },
  });
  declare(scalarium, router, {
    method: 'delete', path: '/api/tokens/:name', action: 'self', resource: serverResource,
    async handler(ctx, principal) {
      await revokeApiToken(scalarium, principal, ctx.params.name);
      ctx.status = 204;
    },
  });
}
