// GET /apps/:app/deploy-lock, a tab of the app's pages: whether deploys are locked, by whom and why,
// with the form to lock or unlock for those who may deploy (the POST handlers check again).
import type Router from '@koa/router';
import type Koa from 'koa';
import { ScalariumError, appTabs, authorizeApp, flash, mayOnApp, readCheckedForm, requireSession, seeOther, view, type Scalarium, type UiSession } from '../../server/plugin-api.ts';
import { appLock, lockApp, unlockApp } from './service.ts';

export const pagePath = (app: string): string => `/apps/${encodeURIComponent(app)}/deploy-lock`;

async function render(scalarium: Scalarium, ctx: Koa.Context, session: UiSession, app: string, messages: { notice?: string; error?: { message: string; hint?: string }; reason?: string } = {}) {
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

  const post = (suffix: string, act: (session: UiSession, app: string, form: Record<string, string>) => Promise<string>) => {
    router.post(`/apps/:app/deploy-lock${suffix}`, async (ctx) => {
      const session = await requireSession(scalarium, ctx);
      if (!session) return;
      const form = await readCheckedForm(scalarium, ctx, session);
      await authorizeApp(scalarium, ctx, session.principal, 'deploy', ctx.params.app);
      try {
        seeOther(ctx, `${pagePath(ctx.params.app)}?notice=${encodeURIComponent(await act(session, ctx.params.app, form))}`);
      } catch (error) {
        if (!(error instanceof ScalariumError)) throw error;
        await render(scalarium, ctx, session, ctx.params.app, { error: { message: error.message, hint: error.hint }, reason: form.reason });
        ctx.status = error.status;
      }
    });
  };
  post('', async (session, app, form) => {
    await lockApp(scalarium, session.principal, app, form.reason ?? '');
    return `Deploys of ${app} are locked`;
  });
  post('/remove', async (session, app) => {
    await unlockApp(scalarium, session.principal, app);
    return `Deploys of ${app} are unlocked`;
  });
}
