// GET/POST /invite/:token : the one-time link an admin hands out (and the first start prints) to
// choose a password. There is no session yet, so the form is protected by a double-submitted CSRF
// cookie plus the same-origin check. Success uses the link up and logs the user in. The page's URL is
// the secret: the app-wide Referrer-Policy (same-origin) keeps it from other sites; "no-referrer"
// would not do, as Chromium then sends "Origin: null" with the form, which the origin check refuses.
import type Router from '@koa/router';
import type Koa from 'koa';
import {
  ScalariumError, audit, findInvite, clearPreSessionCsrf, preSessionCsrf, readCheckedPreSessionForm, seeOther, view,
  type Scalarium, type User,
} from '../../../server/plugin-api.ts';
import { acceptInvite } from '../service.ts';
import { logIn } from './device-cookie.ts';

const INVITE_TOKEN = /^[A-Za-z0-9_-]{20,100}$/;
const COOKIE_PATH = '/invite';

async function inviteUser(scalarium: Scalarium, token: string): Promise<User> {
  const user = INVITE_TOKEN.test(token) ? await findInvite(scalarium.db, token) : undefined;
  if (!user) throw new ScalariumError('invite_invalid');
  return user;
}

function invitePage(scalarium: Scalarium, ctx: Koa.Context, user: User, token: string, csrf: string, error?: string): void {
  view(scalarium, ctx, 'access/invite', { title: 'Choose your password', name: user.name, token, formCsrf: csrf, error });
}

export function inviteRoutes(scalarium: Scalarium, router: Router): void {
  router.get('/invite/:token', async (ctx) => {
    const user = await inviteUser(scalarium, ctx.params.token);
    invitePage(scalarium, ctx, user, ctx.params.token, preSessionCsrf(ctx, COOKIE_PATH));
  });

  router.post('/invite/:token', async (ctx) => {
    const form = await readCheckedPreSessionForm(scalarium, ctx, '/invite/:token');
    const token = ctx.params.token;
    const user = await inviteUser(scalarium, token);
    const again = (message: string, status: number) => {
      invitePage(scalarium, ctx, user, token, form.csrf!, message);
      ctx.status = status;
    };
    if ((form.password ?? '') !== (form.confirmation ?? '')) return again('The two passwords do not match.', 400);
    let accepted: User;
    try {
      accepted = await acceptInvite(scalarium, token, form.password ?? '', ctx.ip);
    } catch (error) {
      if (error instanceof ScalariumError && error.code === 'weak_password') return again(error.message, error.status);
      throw error;
    }
    await logIn(scalarium, ctx, accepted);
    clearPreSessionCsrf(ctx, COOKIE_PATH);
    await audit(scalarium, accepted.name, 'ui.login', accepted.name, { source: ctx.ip, detail: { via: 'invite' } });
    seeOther(ctx, '/');
  });
}
