// Logging in with an API token (the admin token is printed at first start) and logging out.
import type Router from '@koa/router';
import type Koa from 'koa';
import type { Scalarium } from '../../core/scalarium.ts';
import { appendAudit } from '../../db/audit.ts';
import { readCheckedForm } from './csrf.ts';
import { endSession, loadSession, seeOther, startSession } from './session.ts';
import { view } from './view.ts';

const MAX_TOKEN = 512;

async function audit(scalarium: Scalarium, ctx: Koa.Context, actor: string, action: string, outcome: 'ok' | 'denied'): Promise<void> {
  await appendAudit(scalarium.db, { actor, source: ctx.ip, action, outcome });
  scalarium.hooks.audit.call({ actor, action, outcome, source: ctx.ip });
}

export function loginRoutes(scalarium: Scalarium, router: Router): void {
  router.get('/login', (ctx) => {
    view(scalarium, ctx, 'login', { title: 'Log in' });
  });

  router.post('/login', async (ctx) => {
    const form = await readCheckedForm(scalarium, ctx);
    const token = (form.token ?? '').trim();
    const principal = token && token.length <= MAX_TOKEN ? await scalarium.hooks.authenticate.promise({ token }) : undefined;
    if (!principal) {
      await audit(scalarium, ctx, 'anonymous', 'ui.login', 'denied');
      ctx.status = 401;
      view(scalarium, ctx, 'login', { title: 'Log in', error: 'That token is not valid.' });
      return;
    }
    await startSession(scalarium, ctx, principal);
    await audit(scalarium, ctx, principal.user.name, 'ui.login', 'ok');
    seeOther(ctx, '/');
  });

  router.post('/logout', async (ctx) => {
    const session = await loadSession(scalarium, ctx);
    await readCheckedForm(scalarium, ctx, session);
    await endSession(scalarium, ctx, session);
    if (session) await audit(scalarium, ctx, session.principal.user.name, 'ui.logout', 'ok');
    seeOther(ctx, '/login');
  });
}
