// GET / : the apps the user may read, with their cluster (linked when the user may read it), current
// release and URL.
import type Router from '@koa/router';
import type { Scalarium } from '../../core/scalarium.ts';
import { listApps } from '../../db/apps.ts';
import { appJson } from '../api/present.ts';
import { mayOnApp, mayOnCluster } from './authorize.ts';
import { requireSession } from './session.ts';
import { view } from './view.ts';

export function appsPageRoutes(scalarium: Scalarium, router: Router): void {
  router.get('/', async (ctx) => {
    const session = await requireSession(scalarium, ctx);
    if (!session) return;
    const apps = [];
    const readableClusters = new Map<string, boolean>();
    for (const app of await listApps(scalarium.db)) {
      if (!(await mayOnApp(scalarium, session.principal, 'read', app.name))) continue;
      const json = await appJson(scalarium, app);
      let clusterLink = false;
      if (json.cluster !== null) {
        if (!readableClusters.has(json.cluster)) readableClusters.set(json.cluster, await mayOnCluster(scalarium, session.principal, 'read', json.cluster));
        clusterLink = readableClusters.get(json.cluster)!;
      }
      apps.push({ ...json, clusterLink });
    }
    view(scalarium, ctx, 'apps', { title: 'Apps', apps }, session);
  });
}
