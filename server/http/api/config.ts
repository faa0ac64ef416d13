import type Router from '@koa/router';
import type { Scalarium } from '../../core/scalarium.ts';
import { declare, appResource } from './route-table.ts';
import { getConfig } from '../../db/apps.ts';
import { requireApp, setConfig } from '../../core/app-service.ts';
import { readJson } from '../json-body.ts';
import { releaseJson } from './present.ts';

export function configRoutes(scalarium: Scalarium, router: Router): void {
  declare(scalarium, router, {
    method: 'get', path: '/api/apps/:app/config', action: 'configure', resource: appResource,
    async handler(ctx) {
      const app = await requireApp(scalarium, ctx.params.app);
      ctx.body = await getConfig(scalarium.db, app.id);
    },
  });
  declare(scalarium, router, {
    method: 'patch', path: '/api/apps/:app/config', action: 'configure', resource: appResource,
    async handler(ctx, principal) {
      // setConfig() parses the change (configBody): the config forms send one too.
      const result = await setConfig(scalarium, principal, ctx.params.app, await readJson(ctx));
      ctx.body = {
        config: result.config, release: result.release ? releaseJson(result.release, result.release.version) : null,
        ...(result.unchanged ? { unchanged: true } : {}),
      };
    },
  });
}
