import type Router from '@koa/router';
import { type Scalarium, declare, serverResource, readJson } from '../../../server/plugin-api.ts';
import { listKeys, type SshKey } from '../db/ssh-keys.ts';
import { addSshKey, removeSshKey } from '../service.ts';

const keyJson = (k: SshKey) => ({ fingerprint: k.fingerprint, type: k.type, comment: k.comment, createdAt: k.createdAt });

export function keyRoutes(scalarium: Scalarium, router: Router): void {
  declare(scalarium, router, {
    method: 'get', path: '/api/keys', action: 'self', resource: serverResource,
    async handler(ctx, principal) {
      ctx.body = (await listKeys(scalarium.db, principal.user.id)).map(keyJson);
    },
  });
  declare(scalarium, router, {
    method: 'post', path: '/api/keys', action: 'self', resource: serverResource,
    async handler(ctx, principal) {
      // The key is parsed by the service (keyBody), which the account page's form reaches too.
      const body = (await readJson(ctx)) as { publicKey?: unknown };
      ctx.status = 201;
      ctx.body = keyJson(await addSshKey(scalarium, principal, body.publicKey));
    },
  });
  declare(scalarium, router, {
    method: 'delete', path: '/api/keys/:fingerprint', action: 'self', resource: serverResource,
    async handler(ctx, principal) {
      await removeSshKey(scalarium, principal, ctx.params.fingerprint);
      ctx.status = 204;
    },
  });
}
