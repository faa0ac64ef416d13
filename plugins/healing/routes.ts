// GET and PUT /api/clusters/:cluster/healing: the cluster's healing (viewer) and its policy (scale).
import type Router from '@koa/router';
import { clusterResource, declare, readJson, type Scalarium } from '../../server/plugin-api.ts';
import type { Healer } from './healer.ts';
import { healingOf, setHealing } from './service.ts';

const PATH = '/api/clusters/:cluster/healing';

export function healingRoutes(scalarium: Scalarium, healer: Healer, router: Router): void {
  declare(scalarium, router, {
    method: 'get', path: PATH, action: 'read', resource: clusterResource,
    async handler(ctx) {
      const limit = Math.min(500, Math.max(1, Number(ctx.query.limit) || 50));
      ctx.body = await healingOf(scalarium, healer, ctx.params.cluster, limit);
    },
  });
  declare(scalarium, router, {
    method: 'put', path: PATH, action: 'scale', resource: clusterResource,
    async handler(ctx, principal) {
      ctx.body = await setHealing(scalarium, healer, principal, ctx.params.cluster, await readJson(ctx));
    },
  });
}
