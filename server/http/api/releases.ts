import type Router from '@koa/router';
import { deployBranchOf } from '../../core/deploy-branch.ts';
import type { Scalarium } from '../../core/scalarium.ts';
import { declare, appResource } from './route-table.ts';
import { findRelease, latestRelease, listReleases } from '../../db/releases.ts';
import { parseVersion, requireApp, rollback } from '../../core/app-service.ts';
import { ScalariumError } from '../../core/errors.ts';
import { readJson } from '../json-body.ts';
import { releaseJson } from './present.ts';
import { parseBody } from './bodies/parse.ts';
import { rollbackBody } from './bodies/releases.ts';
import { repoStore } from '../../core/paths.ts';

const MAX_COMMITS = 100;

export function releaseRoutes(scalarium: Scalarium, router: Router): void {
  declare(scalarium, router, {
    method: 'get', path: '/api/apps/:app/releases', action: 'read', resource: appResource,
    async handler(ctx) {
      const app = await requireApp(scalarium, ctx.params.app);
      const releases = await listReleases(scalarium.db, app.id);
      ctx.body = releases.map((r) => releaseJson(r, releases[0]?.version));
    },
  });
  declare(scalarium, router, {
    method: 'get', path: '/api/apps/:app/commits', action: 'read', resource: appResource,
    async handler(ctx) {
      const app = await requireApp(scalarium, ctx.params.app);
      const limit = Math.min(Math.max(Number(ctx.query.limit ?? 20) || 20, 1), MAX_COMMITS);
      const live = (await latestRelease(scalarium.db, app.id))?.commit;
      const commits = await repoStore(scalarium).recentCommits(app.name, deployBranchOf(app), limit);
      ctx.body = commits.map((c) => ({ ...c, live: c.sha === live }));
    },
  });
  declare(scalarium, router, {
    method: 'get', path: '/api/apps/:app/releases/:version', action: 'read', resource: appResource,
    async handler(ctx) {
      const app = await requireApp(scalarium, ctx.params.app);
      const version = parseVersion(ctx.params.version);
      const release = await findRelease(scalarium.db, app.id, version);
      if (!release) throw new ScalariumError('release_not_found', { app: app.name, version });
      ctx.body = releaseJson(release, (await latestRelease(scalarium.db, app.id))?.version);
    },
  });
  declare(scalarium, router, {
    method: 'post', path: '/api/apps/:app/rollback', action: 'deploy', resource: appResource,
    async handler(ctx, principal) {
      const body = parseBody(rollbackBody, await readJson(ctx));
      const release = await rollback(scalarium, principal, ctx.params.app, body.version);
      ctx.status = 201;
      ctx.body = releaseJson(release, release.version);
    },
  });
}
