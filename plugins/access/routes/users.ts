import type Router from '@koa/router';
import { type Scalarium, declare, serverResource, readJson, listUsers, type User } from '../../../server/plugin-api.ts';
import { createUserWithInvite, destroyUser, reinvite, setUserDisabled } from '../service.ts';

const userJson = (u: User & { createdAt?: string; invitePending?: boolean }) => ({
  name: u.name, email: u.email, admin: u.admin, disabled: u.disabled, hasPassword: u.hasPassword,
  ...(u.invitePending !== undefined ? { invitePending: u.invitePending } : {}), ...(u.createdAt ? { createdAt: u.createdAt } : {}),
});

export function userRoutes(scalarium: Scalarium, router: Router): void {
  declare(scalarium, router, {
    method: 'get', path: '/api/users', action: 'admin', resource: serverResource,
    async handler(ctx) {
      ctx.body = (await listUsers(scalarium.db)).map(userJson);
    },
  });
  declare(scalarium, router, {
    method: 'post', path: '/api/users', action: 'admin', resource: serverResource,
    async handler(ctx, principal) {
      // Parsed by the service (newUserBody), which the users page's form reaches too.
      const result = await createUserWithInvite(scalarium, principal, await readJson(ctx));
      ctx.status = 201;
      ctx.body = { user: userJson(result.user), inviteUrl: result.inviteUrl };
    },
  });
  declare(scalarium, router, {
    method: 'post', path: '/api/users/:user/invite', action: 'admin', resource: serverResource,
    async handler(ctx, principal) {
      ctx.body = { inviteUrl: await reinvite(scalarium, principal, ctx.params.user) };
    },
  });
  declare(scalarium, router, {
    method: 'post', path: '/api/users/:user/disable', action: 'admin', resource: serverResource,
    async handler(ctx, principal) {
      ctx.body = userJson(await setUserDisabled(scalarium, principal, ctx.params.user, true));
    },
  });
  declare(scalarium, router, {
    method: 'post', path: '/api/users/:user/enable', action: 'admin', resource: serverResource,
    async handler(ctx, principal) {
      ctx.body = userJson(await setUserDisabled(scalarium, principal, ctx.params.user, false));
    },
  });
  declare(scalarium, router, {
    method: 'delete', path: '/api/users/:user', action: 'admin', resource: serverResource,
    async handler(ctx, principal) {
      await destroyUser(scalarium, principal, ctx.params.user);
      ctx.status = 204;
    },
  });
}
