// Logging in — with user name and password (throttled; see plugins/access/service.ts), or with a full
// API token (the admin token is printed at first start) — and logging out. Every login makes a new
// session id and refreshes the browser's signed device cookie (device-cookie.ts).
import type Router from '@koa/router';
import type Koa from 'koa';
import {
  ScalariumError, audit as recordAudit, readCheckedForm, endSession, loadSession, seeOther, view, type Scalarium,
} from '../../../server/plugin-api.ts';
import { checkPasswordLogin } from '../service.ts';
import { logIn, trustedDevice } from './device-cookie.ts';

const MAX_TOKEN = 512;

async function audit(scalarium: Scalarium, ctx: Koa.Context, actor: string, action: string, outcome: 'ok' | 'denied', detail?: Record<string, unknown>): Promise<void> {
  await recordAudit(scalarium, actor, action, undefined, { outcome, source: ctx.ip, ...(detail ? { detail } : {}) });
}

function loginPage(scalarium: Scalarium, ctx: Koa.Context, status: number, messages: { error?: string; tokenError?: string; name?: string } = {}): void {
  view(scalarium, ctx, 'access/login', { title: 'Log in', ...messages });
  ctx.status = status;
}

async function passwordLogin(scalarium: Scalarium, ctx: Koa.Context, form: Record<string, string>): Promise<void> {
  const name = (form.name ?? '').trim().slice(0, 64);
  try {
    const user = await checkPasswordLogin(scalarium, name, form.password ?? '', ctx.ip, trustedDevice(ctx));
    await logIn(scalarium, ctx, user);
    seeOther(ctx, '/');
  } catch (error) {
    if (!(error instanceof ScalariumError) || (error.code !== 'unauthenticated' && error.code !== 'too_many_attempts')) throw error;
    const message = error.code === 'too_many_attempts' ? error.message : 'Wrong user name or password.';
    loginPage(scalarium, ctx, error.status, { error: message, name });
  }
}

async function tokenLogin(scalarium: Scalarium, ctx: Koa.Context, form: Record<string, string>): Promise<void> {
  const token = (form.token ?? '').trim();
  const principal = token && token.length <= MAX_TOKEN ? await scalarium.hooks.authenticate.promise({ token }) : undefined;
  if (!principal) {
    await audit(scalarium, ctx, 'anonymous', 'ui.login', 'denied');
    loginPage(scalarium, ctx, 401, { tokenError: 'That token is not valid.' });
    return;
  }
  // A session acts with the user's full rights, so a token limited to an app, a cluster or a role
  // must not open one (the same rule as managing one's own tokens: the 'self' action).
  if (!(await scalarium.hooks.authorize.promise(principal, 'self', { kind: 'server' }))) {
    await audit(scalarium, ctx, principal.user.name, 'ui.login', 'denied', { reason: 'limited token' });
    loginPage(scalarium, ctx, 401, { tokenError: 'That token is limited to one app, cluster or role; log in with your password or an unrestricted token.' });
    return;
  }
  await logIn(scalarium, ctx, principal.user);
  await audit(scalarium, ctx, principal.user.name, 'ui.login', 'ok', { via: 'token' });
  seeOther(ctx, '/');
}

export function loginRoutes(scalarium: Scalarium, router: Router): void {
  router.get('/login', (ctx) => {
    loginPage(scalarium, ctx, 200);
  });

  router.post('/login', async (ctx) => {
    const form = await readCheckedForm(scalarium, ctx);
    if ('token' in form) await tokenLogin(scalarium, ctx, form);
    else await passwordLogin(scalarium, ctx, form);
  });

  router.post('/logout', async (ctx) => {
    const session = await loadSession(scalarium, ctx);
    await readCheckedForm(scalarium, ctx, session);
    await endSession(scalarium, ctx, session);
    if (session) await audit(scalarium, ctx, session.principal.user.name, 'ui.logout', 'ok');
    seeOther(ctx, '/login');
  });
}
