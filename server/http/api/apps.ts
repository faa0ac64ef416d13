import type Router from '@koa/router';
import type { z } from 'zod';
import type { Scalarium } from '../../core/scalarium.ts';
import { declare, appResource, serverResource } from './route-table.ts';
import { listApps } from '../../db/apps.ts';
import { changeDeployBranch, clusterForNewApp, createApp, destroyApp, requireApp } from '../../core/app-service.ts';
import { appJson, processesJson } from './present.ts';
import { readJson } from '../json-body.ts';
import { parseBody } from './bodies/parse.ts';
import { appChangeBody, newAppBody } from './bodies/apps.ts';
import { listProcesses } from '../../db/processes.ts';

export function appRoutes(scalarium: Scalarium, router: Router): void {
  declare(scalarium, router, {
    method: 'get', path: '/api/apps', action: 'read', resource: serverResource,
    async handler(ctx, principal) {
      const apps = [];
      for (const app of await listApps(scalarium.db)) {
        if (await scalarium.hooks.authorize.promise(principal, 'read', { kind: 'app', name: app.name })) apps.push(await appJson(scalarium, app));
      }
      ctx.body = apps;
    },
  });
  declare(scalarium, router, {
    method: 'post', path: '/api/apps', action: 'create',
    // Creating an app needs the manager role on the cluster it goes to (the body names it).
    async resource(ctx) {
      const body = parseBody(newAppBody, await readJson(ctx));
      ctx.state.body = body;
      return { kind: 'cluster', name: clusterForNewApp(scalarium, body.cluster) };
    },
    async handler(ctx, principal) {
      const body = ctx.state.body as z.output<typeof newAppBody>;
      const app = await createApp(scalarium, principal, body.name, body.cluster);
      ctx.status = 201;
      ctx.body = await appJson(scalarium, app);
    },
  });
  declare(scalarium, router, {
    method: 'get', path: '/api/apps/:app', action: 'read', resource: appResource,
    async handler(ctx) {
      const app = await requireApp(scalarium, ctx.params.app);
      ctx.body = { ...(await appJson(scalarium, app)), processes: processesJson(await listProcesses(scalarium.db, { appId: app.id })) };
    },
  });
  declare(scalarium, router, {
    method: 'patch', path: '/api/apps/:app', action: 'configure', resource: appResource,
    async handler(ctx, principal) {
      const body = parseBody(appChangeBody, await readJson(ctx));
      const app = await changeDeployBranch(scalarium, principal, ctx.params.app, body.deployBranch);
      ctx.body = await appJson(scalarium, app);
    },
  });
  declare(scalarium, router, {
    method: 'delete', path: '/api/apps/:app', action: 'destroy', resource: appResource,
    async handler(ctx, principal) {
      await destroyApp(scalarium, principal, ctx.params.app);
      ctx.status = 204;
    },
  });
}
