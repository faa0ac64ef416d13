// DELETE /api/apps/:app/build-cache: empties the app's build cache (every buildpack's CACHE_DIR),
// so that the next build starts as the first one did. Under the app's lock: no build is using it.
import type Router from '@koa/router';
import type { Scalarium } from '../../core/scalarium.ts';
import { declare, appResource } from './route-table.ts';
import { requireApp } from '../../core/app-service.ts';
import { withAppLock } from '../../core/app-lock.ts';
import { audit } from '../../core/audit.ts';
import { clearBuildCache } from '../../build/workspace.ts';

export function buildCacheRoutes(scalarium: Scalarium, router: Router): void {
  declare(scalarium, router, {
    method: 'delete', path: '/api/apps/:app/build-cache', action: 'deploy', resource: appResource,
    async handler(ctx, principal) {
      const app = await requireApp(scalarium, ctx.params.app);
      const cleared = await withAppLock(scalarium, app.name, 'build cache clear', () => clearBuildCache(scalarium, app));
      await audit(scalarium, principal, 'build-cache.clear', app.name, { detail: { cleared } });
      ctx.body = { app: app.name, cleared };
    },
  });
}
