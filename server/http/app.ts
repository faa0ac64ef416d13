// The koa application: security headers and errors first, then git smart HTTP (streams, no body
// parsing), the agents' internal endpoints, the REST API and the admin UI.
import fs from 'node:fs';
import path from 'node:path';
import { agentBundle } from '../agent/bundle.ts';
import Koa from 'koa';
import Keygrip from 'keygrip';
import Router from '@koa/router';
import type { Scalarium } from '../core/scalarium.ts';
import { asScalariumError, ScalariumError } from '../core/errors.ts';
import { smartHttp } from '../git/smart-http.ts';
import { preReceiveHandler } from '../git/receive.ts';
import type { PushSessions } from '../git/push-sessions.ts';
import { SlugStore } from '../build/slug-store.ts';
import { dataPaths, repoStore } from '../core/paths.ts';
import { instanceTokenMatches } from '../db/instances.ts';
import { appRoutes } from './api/apps.ts';
import { configRoutes } from './api/config.ts';
import { releaseRoutes } from './api/releases.ts';
import { psRoutes } from './api/ps.ts';
import { buildRoutes } from './api/builds.ts';
import { statusRoutes } from './api/status.ts';
import { clusterRoutes } from './api/clusters.ts';
import { deployRoutes } from './api/deploy.ts';
import { buildCacheRoutes } from './api/build-cache.ts';
import { uiRoutes } from './ui/routes.ts';
import { assertAllDeclared } from './api/route-table.ts';
import { bearerToken } from './bearer.ts';

export function createHttpApp(scalarium: Scalarium, sessions: PushSessions): Koa {
  const app = new Koa({ proxy: false });
  // Signed cookies (the access plugin's device cookie) are HMAC-SHA256 with keys derived from the
  // secret key; cookies that need no signature are set with signed: false.
  app.keys = new Keygrip(scalarium.cookieKeys.map((key) => key.toString('base64')), 'sha256');
  app.on('error', reportError);
  // Outermost, so it sees the status the error handler chose.
  app.use(async (ctx, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const matched = (ctx as unknown as { _matchedRoute?: unknown })._matchedRoute;
      const route = typeof matched === 'string' ? matched : ctx.state.gitRequest ? 'git' : 'unmatched';
      scalarium.hooks.httpRequest.call({ method: ctx.method, route, status: ctx.status, ms: performance.now() - started });
    }
  });
  app.use(errorHandler(scalarium));
  app.use(async (ctx, next) => {
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'same-origin');
    await next();
  });
  app.use(smartHttp(scalarium, repoStore(scalarium), sessions, () => `${scalarium.baseUrl}/internal/git/pre-receive`));

  const internal = new Router();
  /** Slugs and the instance program are for instances only: their id and token. */
  const instanceOnly: Koa.Middleware = async (ctx, next) => {
    const instanceId = ctx.get('x-scalarium-instance');
    const token = bearerToken(ctx);
    if (!instanceId || !token || !(await instanceTokenMatches(scalarium.db, instanceId, token))) throw new ScalariumError('unauthenticated');
    await next();
  };
  internal.post('/internal/git/pre-receive', preReceiveHandler(scalarium, sessions));
  internal.get('/internal/slugs/:sha', instanceOnly, async (ctx) => {
    const store = new SlugStore(dataPaths(scalarium).slugs);
    if (!/^[0-9a-f]{64}$/.test(ctx.params.sha) || !store.has(ctx.params.sha)) throw new ScalariumError('not_found');
    ctx.type = 'application/gzip';
    ctx.body = fs.createReadStream(store.pathOf(ctx.params.sha));
  });
  internal.get('/internal/agent.mjs', instanceOnly, async (ctx) => {
    const bundle = await agentBundle(path.join(scalarium.config.dataDir, 'agent-bundle'));
    ctx.type = 'text/javascript';
    ctx.set('X-Content-Sha256', bundle.sha256);
    ctx.body = fs.createReadStream(bundle.file);
  });
  app.use(internal.routes());

  const api = new Router();
  api.use('/api', async (ctx, next) => {
    const token = bearerToken(ctx);
    const principal = token ? await scalarium.hooks.authenticate.promise({ token }) : undefined;
    if (!principal) throw new ScalariumError('unauthenticated');
    ctx.state.principal = { ...principal, source: ctx.ip };
    ctx.set('Cache-Control', 'no-store');
    await next();
  });
  for (const add of [statusRoutes, appRoutes, configRoutes, releaseRoutes, psRoutes, buildRoutes, buildCacheRoutes, clusterRoutes, deployRoutes]) add(scalarium, api);
  scalarium.hooks.routes.call(api);
  assertAllDeclared(api);
  app.use(api.routes());
  app.use(api.allowedMethods());

  const ui = new Router();
  uiRoutes(scalarium, ui);
  app.use(ui.routes());
  app.use(ui.allowedMethods());

  app.use(async () => {
    throw new ScalariumError('not_found');
  });
  return app;
}

/**
 * Errors koa reports after the response began (a streamed body that failed). A client that went
 * away in the middle of a stream — Ctrl-C on `logs --tail`, a closed browser — is not one.
 */
function reportError(error: Error & { code?: string; status?: number; expose?: boolean }): void {
  if (error.code === 'ERR_STREAM_PREMATURE_CLOSE' || error.code === 'ECONNRESET' || error.code === 'EPIPE') return;
  if (error.status === 404 || error.expose) return;
  process.stderr.write(`${new Date().toISOString()} ${error.stack ?? error.message}\n`);
}

/** Catalogue errors become JSON for the API, plain text elsewhere; nothing else leaks. */
function errorHandler(scalarium: Scalarium): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      const failure = asScalariumError(error);
      if (failure.code === 'internal') {
        process.stderr.write(`${new Date().toISOString()} ${ctx.method} ${ctx.path}: ${(error as Error)?.stack ?? error}\n`);
      }
      ctx.status = failure.status;
      if (ctx.path.startsWith('/api/') || ctx.path === '/api' || ctx.path.startsWith('/internal/')) {
        ctx.body = { error: failure.toJSON() };
      } else if (ctx.accepts('html')) {
        ctx.type = 'text/html; charset=utf-8';
        ctx.body = scalarium.templates.render('error', { title: 'Error', status: failure.status, message: failure.message, hint: failure.hint });
      } else {
        ctx.type = 'text/plain; charset=utf-8';
        ctx.body = `${failure.message}\n`;
      }
    }
  };
}
