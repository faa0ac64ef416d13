// POST /api/apps/:app/deploy and the deploys it starts. A deploy runs on in the server when its
// client goes away; a client that asks for application/x-ndjson gets its progress as it happens:
//   {"deploy": {"id", "app", "what", "follow"}}  first,
//   {"line": "-----> Building …"}              as the build and rollout print,
//   {"release": {…}} or {"error": {"code", "message", "hint"}}   last.
// Anyone who may read the app can follow a deploy (GET …/deploys/:id/output, the same events).
import { PassThrough } from 'node:stream';
import type Koa from 'koa';
import type Router from '@koa/router';
import type { z } from 'zod';
import type { Scalarium } from '../../core/scalarium.ts';
import { declare, appResource } from './route-table.ts';
import { readJson } from '../json-body.ts';
import { parseBody } from './bodies/parse.ts';
import { deployBody } from './bodies/releases.ts';
import { planDeploy, type DeployRequest } from '../../core/deploy-service.ts';
import { ScalariumError } from '../../core/errors.ts';
import { requireApp } from '../../core/app-service.ts';
import { releaseJson } from './present.ts';
import { findLiveDeploy, followLiveDeploy, listLiveDeploys, liveOutcome, startLiveDeploy, type LiveDeploy, type LiveOutcome } from '../../deploy/live.ts';

export const NDJSON = 'application/x-ndjson';

/** What to deploy: an uploaded tarball (no JSON body), else an archive, a release, or a commit. */
function deployRequest(ctx: Koa.Context, body: z.output<typeof deployBody> | undefined): DeployRequest {
  if (!body) return { kind: 'upload', body: ctx.req };
  if (body.archive !== undefined) return { kind: 'archive', url: body.archive };
  if (body.release !== undefined) return { kind: 'release', version: body.release };
  return { kind: 'commit', ref: body.commit };
}

export function deploySummary(deploy: LiveDeploy) {
  const outcome = deploy.outcome;
  return {
    id: deploy.id, app: deploy.app, what: deploy.what, by: deploy.by, startedAt: deploy.startedAt, endedAt: deploy.endedAt ?? null,
    state: !outcome ? 'running' : 'release' in outcome ? 'succeeded' : 'failed',
    version: outcome && 'release' in outcome ? outcome.release.version : null,
    error: outcome && 'error' in outcome ? outcome.error.toJSON() : null,
    follow: `/api/apps/${deploy.app}/deploys/${deploy.id}/output`,
  };
}

/** Streams a deploy's events as NDJSON until it ends; the deploy itself goes on if the client leaves. */
function streamDeploy(scalarium: Scalarium, ctx: Koa.Context, deploy: LiveDeploy): void {
  const stream = new PassThrough();
  stream.on('error', () => {});
  const send = (event: object) => {
    if (!stream.destroyed && !stream.writableEnded) stream.write(`${JSON.stringify(event)}\n`);
  };
  ctx.status = 200;
  ctx.type = NDJSON;
  ctx.set('cache-control', 'no-store');
  ctx.body = stream;
  send({ deploy: { id: deploy.id, app: deploy.app, what: deploy.what, follow: `/api/apps/${deploy.app}/deploys/${deploy.id}/output` } });
  const stop = followLiveDeploy(scalarium, deploy, {
    line: (text) => send({ line: text }),
    end: (outcome) => {
      send(outcomeEvent(outcome));
      stream.end();
    },
  });
  ctx.res.on('close', stop);
}

function outcomeEvent(outcome: LiveOutcome): object {
  return 'release' in outcome
    ? { release: releaseJson(outcome.release, outcome.release.version) }
    : { error: { status: outcome.error.status, ...outcome.error.toJSON() } };
}

export function deployRoutes(scalarium: Scalarium, router: Router): void {
  declare(scalarium, router, {
    method: 'post', path: '/api/apps/:app/deploy', action: 'deploy', resource: appResource,
    async handler(ctx, principal) {
      const upload = ctx.is('application/gzip', 'application/x-gzip', 'application/x-tar', 'application/octet-stream');
      const request = deployRequest(ctx, upload ? undefined : parseBody(deployBody, await readJson(ctx)));
      const plan = await planDeploy(scalarium, principal, ctx.params.app, request);
      const deploy = startLiveDeploy(scalarium, { app: plan.app, what: plan.what, by: principal.user.name }, plan.run);
      if (ctx.accepts('application/json', NDJSON) === NDJSON) return streamDeploy(scalarium, ctx, deploy);
      const outcome = await liveOutcome(scalarium, deploy);
      if ('error' in outcome) throw outcome.error;
      ctx.status = 201;
      ctx.body = releaseJson(outcome.release, outcome.release.version);
    },
  });
  declare(scalarium, router, {
    method: 'get', path: '/api/apps/:app/deploys', action: 'read', resource: appResource,
    async handler(ctx) {
      const app = await requireApp(scalarium, ctx.params.app);
      ctx.body = listLiveDeploys(scalarium, app.name).map(deploySummary);
    },
  });
  declare(scalarium, router, {
    method: 'get', path: '/api/apps/:app/deploys/:id', action: 'read', resource: appResource,
    async handler(ctx) {
      const deploy = await liveDeployOf(scalarium, ctx);
      ctx.body = { ...deploySummary(deploy), lines: deploy.lines };
    },
  });
  declare(scalarium, router, {
    method: 'get', path: '/api/apps/:app/deploys/:id/output', action: 'read', resource: appResource,
    async handler(ctx) {
      streamDeploy(scalarium, ctx, await liveDeployOf(scalarium, ctx));
    },
  });
}

async function liveDeployOf(scalarium: Scalarium, ctx: Koa.Context): Promise<LiveDeploy> {
  const app = await requireApp(scalarium, ctx.params.app!);
  const deploy = findLiveDeploy(scalarium, app.name, ctx.params.id!);
  if (!deploy) throw new ScalariumError('deploy_not_found', { id: String(ctx.params.id).slice(0, 40) });
  return deploy;
}
