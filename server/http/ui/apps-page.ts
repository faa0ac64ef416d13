// GET / : the apps the user may read, with their current release and URL.
import type Router from '@koa/router';
import type { Scalarium } from '../../core/scalarium.ts';
import { listApps } from '../../db/apps.ts';
import { appJson } from '../api/present.ts';
import { mayOnApp } from './authorize.ts';
import { requireSession } from './session.ts';
import { view } from './view.ts';

export function appsPageRoutes(scalarium: Scalarium, router: Router): void {
  router.get('/', async (ctx) => {
    const session = await requireSession(scalarium, ctx);
    if (!session) return;
    const apps = [];
    for (const app of await listApps(scalarium.db)) {
      if (await mayOnApp(scalarium, session.principal, 'read', app.name)) apps.push(await appJson(scalarium, app));
    }
    view(scalarium, ctx, 'apps', { title: 'Apps', apps }, session);
  });
}
