import fs from 'node:fs';
import path from 'node:path';
import type Router from '@koa/router';
import type { Scalarium } from '../../core/scalarium.ts';
import { declare, appResource } from './route-table.ts';
import { findBuild, listBuilds } from '../../db/builds.ts';
import { listDeployments } from '../../db/deployments.ts';
import { requireApp } from '../../core/app-service.ts';
import { ScalariumError } from '../../core/errors.ts';
import { dataPaths } from '../../core/paths.ts';

export function buildRoutes(scalarium: Scalarium, router: Router): void {
  declare(scalarium, router, {
    method: 'get', path: '/api/apps/:app/builds', action: 'read', resource: appResource,
    async handler(ctx) {
      const app = await requireApp(scalarium, ctx.params.app);
      ctx.body = (await listBuilds(scalarium.db, app.id)).map((b) => ({
        id: b.id, commit: b.commit, status: b.status, buildpack: b.buildpack, slug: b.slug, timings: b.timings,
        createdBy: b.createdBy, startedAt: b.startedAt, finishedAt: b.finishedAt,
      }));
    },
  });
  declare(scalarium, router, {
    method: 'get', path: '/api/apps/:app/builds/:id/log', action: 'read', resource: appResource,
    async handler(ctx) {
      const app = await requireApp(scalarium, ctx.params.app);
      const id = Number(ctx.params.id);
      const build = Number.isInteger(id) ? await findBuild(scalarium.db, app.id, id) : undefined;
      if (!build) throw new ScalariumError('build_not_found', { id: ctx.params.id });
      const file = path.join(dataPaths(scalarium).builds, `${build.id}.log`);
      ctx.type = 'text/plain; charset=utf-8';
      ctx.body = fs.existsSync(file) ? fs.createReadStream(file) : '';
    },
  });
  declare(scalarium, router, {
    method: 'get', path: '/api/apps/:app/deployments', action: 'read', resource: appResource,
    async handler(ctx) {
      const app = await requireApp(scalarium, ctx.params.app);
      ctx.body = await listDeployments(scalarium.db, app.id);
    },
  });
}
