import type Router from '@koa/router';
import type { Scalarium } from '../../core/scalarium.ts';
import { declare, appResource } from './route-table.ts';
import { listProcesses } from '../../db/processes.ts';
import { requireApp, restart, scale } from '../../core/app-service.ts';
import { readJson } from '../json-body.ts';
import { processesJson } from './present.ts';
import { parseBody } from './bodies/parse.ts';
import { restartBody } from './bodies/ps.ts';

export function psRoutes(scalarium: Scalarium, router: Router): void {
  declare(scalarium, router, {
    method: 'get', path: '/api/apps/:app/ps', action: 'read', resource: appResource,
    async handler(ctx) {
      const app = await requireApp(scalarium, ctx.params.app);
      ctx.body = processesJson(await listProcesses(scalarium.db, { appId: app.id }));
    },
  });
  declare(scalarium, router, {
    method: 'patch', path: '/api/apps/:app/formation', action: 'scale', resource: appResource,
    async handler(ctx, principal) {
      // scale() parses the formation (formationBody): the scale form sends one too.
      ctx.body = { formation: await scale(scalarium, principal, ctx.params.app, await readJson(ctx)) };
    },
  });
  declare(scalarium, router, {
    method: 'post', path: '/api/apps/:app/restart', action: 'deploy', resource: appResource,
    async handler(ctx, principal) {
      const body = parseBody(restartBody, await readJson(ctx));
      ctx.body = { restarted: await restart(scalarium, principal, ctx.params.app, body.type) };
    },
  });
}
