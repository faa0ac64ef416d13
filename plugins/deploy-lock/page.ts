// GET /apps/:app/deploy-lock, a tab of the app's pages: whether deploys are locked, by whom and why,
// with the form to lock or unlock for those who may deploy (the POST handlers check again).
import type Router from '@koa/router';
import type Koa from 'koa';
import {
  appTabs, authorizeApp, flash, mayOnApp, requireSession, view, formPost, withNotice, type Scalarium, type UiSession, type Form, type FormError,
} from '../../server/plugin-api.ts';
import { appLock, lockApp, unlockApp } from './service.ts';

export const pagePath = (app: string): string => `/apps/${encodeURIComponent(app)}/deploy-lock`;

async function render(scalarium: Scalarium, ctx: Koa.Context, session: UiSession, app: string, messages: { notice?: string; error?: FormError; reason?: string } = {}) {
  view(scalarium, ctx, 'deploy-lock/lock', {
    title: `${app} · deploy lock`, appName: app, ...appTabs(scalarium, session, app, pagePath(app)),
    lock: await appLock(scalarium, app), canDeploy: await mayOnApp(scalarium, session.principal, 'deploy', app), ...messages,
  }, session);
}

export function deployLockPages(scalarium: Scalarium, router: Router): void {
  router.get('/apps/:app/deploy-lock', async (ctx) => {
    const session = await requireSession(scalarium, ctx);
    if (!session) return;
    await authorizeApp(scalarium, ctx, session.principal, 'read', ctx.params.app);
    await render(scalarium, ctx, session, ctx.params.app, { notice: flash(ctx, 'notice') });
  });

  const post = (suffix: string, act: (session: UiSession, app: string, form: Form) => Promise<string>) => formPost(scalarium, router, {
    path: `/apps/:app/deploy-lock${suffix}`, on: 'app', action: 'deploy',
    handle: async (ctx, session, form) => withNotice(pagePath(ctx.params.app!), await act(session, ctx.params.app!, form)),
    rerender: (ctx, session, form, error) => render(scalarium, ctx, session, ctx.params.app!, { error, reason: form.reason }),
  });
  post('', async (session, app, form) => {
    await lockApp(scalarium, session.principal, app, form.reason ?? '');
    return `Deploys of ${app} are locked`;
  });
  post('/remove', async (session, app) => {
    await unlockApp(scalarium, session.principal, app);
    return `Deploys of ${app} are unlocked`;
  });
}
