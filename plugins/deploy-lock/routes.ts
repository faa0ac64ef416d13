// GET, PUT and DELETE /api/apps/:app/deploy-lock: whether new code may go live, locking (with a
// reason) and unlocking. Reading needs the app's viewer role; locking and unlocking its deployer role.
import type Router from '@koa/router';
import { appResource, declare, readJson, type Scalarium } from '../../server/plugin-api.ts';
import { appLock, lockApp, unlockApp } from './service.ts';

const PATH = '/api/apps/:app/deploy-lock';

export function deployLockRoutes(scalarium: Scalarium, router: Router): void {
  declare(scalarium, router, {
    method: 'get', path: PATH, action: 'read', resource: appResource,
    async handler(ctx) {
      ctx.body = await appLock(scalarium, ctx.params.app!);
    },
  });
  declare(scalarium, router, {
    method: 'put', path: PATH, action: 'deploy', resource: appResource,
    async handler(ctx, principal) {
      // readJson answers an object ({} for an empty body) or refuses the request; lockApp parses
      // the reason with lockBody (bodies.ts), as it does for the lock tab's form.
      const body = (await readJson(ctx)) as { reason?: unknown };
      ctx.body = await lockApp(scalarium, principal, ctx.params.app!, body.reason);
    },
  });
  declare(scalarium, router, {
    method: 'delete', path: PATH, action: 'deploy', resource: appResource,
    async handler(ctx, principal) {
      ctx.body = await unlockApp(scalarium, principal, ctx.params.app!);
    },
  });
}
