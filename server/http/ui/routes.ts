// The admin UI: server-rendered pages, no JavaScript; core's pages here, plugins' through hooks.pages. Every UI response gets a strict CSP and
// frame denial; catalogue errors (403 forbidden, 404 unknown app…) become pages with the layout.
import type Router from '@koa/router';
import type Koa from 'koa';
import type { Scalarium } from '../../core/scalarium.ts';
import { ScalariumError } from '../../core/errors.ts';
import type { UiSession } from './session.ts';
import { view } from './view.ts';
import { assetRoutes } from './assets.ts';
import { appsPageRoutes } from './apps-page.ts';
import { appPageRoutes } from './app-page.ts';
import { appActionRoutes } from './app-actions.ts';
import { deployPageRoutes } from './deploy-page.ts';
import { clustersPageRoutes } from './clusters-page.ts';
import { statusPageRoutes } from './status-page.ts';

export const CONTENT_SECURITY_POLICY = "default-src 'self'; style-src 'self'; script-src 'none'; frame-ancestors 'none'; form-action 'self'";

function uiFrame(scalarium: Scalarium): Koa.Middleware {
  return async (ctx, next) => {
    ctx.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    ctx.set('X-Frame-Options', 'DENY');
    if (!ctx.path.startsWith('/assets/')) ctx.set('Cache-Control', 'no-store');
    try {
      await next();
    } catch (error) {
      if (!(error instanceof ScalariumError)) throw error;
      ctx.status = error.status;
      const session = ctx.state.uiSession as UiSession | undefined;
      view(scalarium, ctx, 'error', { title: 'Error', status: error.status, message: error.message, hint: error.hint }, session);
    }
  };
}

export function uiRoutes(scalarium: Scalarium, router: Router): void {
  router.use(uiFrame(scalarium));
  assetRoutes(router);
  appsPageRoutes(scalarium, router);
  appPageRoutes(scalarium, router);
  appActionRoutes(scalarium, router);
  deployPageRoutes(scalarium, router);
  clustersPageRoutes(scalarium, router);
  statusPageRoutes(scalarium, router);
  // Plugins' pages (log-in, users, account… come from plugins/access).
  scalarium.hooks.pages.call(router);
}
