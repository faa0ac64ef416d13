// GET, POST /api/apps/:app/drains and DELETE /api/apps/:app/drains/:drain, and the same under
// /api/clusters/:cluster (a cluster's drains get every app of it). Drain URLs may hold credentials
// and drains decide where an app's logs go: listing and changing them needs the manager role
// (the `manage` action, as alert rules).
import type Router from '@koa/router';
import type Koa from 'koa';
import { appResource, clusterResource, declare, readJson } from '../../server/plugin-api.ts';
import { addDrain, listOwnerDrains, ownerOf, removeDrain, type Drains } from './service.ts';

export function drainRoutes(drains: Drains, router: Router): void {
  const { scalarium } = drains;
  for (const kind of ['app', 'cluster'] as const) {
    const path = `/api/${kind}s/:${kind}/drains`;
    const resource = kind === 'app' ? appResource : clusterResource;
    const owner = (ctx: Koa.Context) => ownerOf(scalarium, kind, String(ctx.params[kind]));
    declare(scalarium, router, {
      method: 'get', path, action: 'manage', resource,
      async handler(ctx) {
        ctx.body = await listOwnerDrains(drains, await owner(ctx));
      },
    });
    declare(scalarium, router, {
      method: 'post', path, action: 'manage', resource,
      async handler(ctx, principal) {
        const body = await readJson(ctx);
        ctx.body = await addDrain(drains, principal, await owner(ctx), body);
        ctx.status = 201;
      },
    });
    declare(scalarium, router, {
      method: 'delete', path: `${path}/:drain`, action: 'manage', resource,
      async handler(ctx, principal) {
        ctx.body = await removeDrain(drains, principal, await owner(ctx), String(ctx.params.drain));
      },
    });
  }
}
