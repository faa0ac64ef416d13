import type Router from '@koa/router';
import type { Scalarium } from '../../core/scalarium.ts';
import { declare, appResource } from './route-table.ts';
import { readJson } from '../json-body.ts';
import { deployApp, type DeployRequest } from '../../core/deploy-service.ts';
import { ScalariumError } from '../../core/errors.ts';
import { releaseJson } from './present.ts';

export function deployRoutes(scalarium: Scalarium, router: Router): void {
  declare(scalarium, router, {
    method: 'post', path: '/api/apps/:app/deploy', action: 'deploy', resource: appResource,
    async handler(ctx, principal) {
      let request: DeployRequest;
      if (ctx.is('application/gzip', 'application/x-gzip', 'application/x-tar', 'application/octet-stream')) {
        request = { kind: 'upload', body: ctx.req };
      } else {
        const body = (await readJson(ctx)) as { archive?: unknown; commit?: unknown; release?: unknown };
        if (typeof body.archive === 'string') request = { kind: 'archive', url: body.archive };
        else if (body.release !== undefined) request = { kind: 'release', version: body.release };
        else if (body.commit === undefined || typeof body.commit === 'string') request = { kind: 'commit', ref: body.commit as string | undefined };
        else throw new ScalariumError('invalid_body', { reason: 'give one of "commit", "release" or "archive" (or upload a tarball)' });
      }
      const release = await deployApp(scalarium, principal, ctx.params.app, request);
      ctx.status = 201;
      ctx.body = releaseJson(release, release.version);
    },
  });
}
