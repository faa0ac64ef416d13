// GET /users (admins): everyone's account state, a form to invite a new user, and per user: disable,
// enable, a new invite link, delete. Invite links are shown once, on the page that answers the POST
// (never put in a redirect's URL). Everything goes through plugins/access/service.ts, like the API.
import type Router from '@koa/router';
import type Koa from 'koa';
import type { Scalarium } from '../../../server/core/scalarium.ts';
import { ScalariumError } from '../../../server/core/errors.ts';
import { listUsers } from '../../../server/db/identity.ts';
import { createUserWithInvite, destroyUser, reinvite, setUserDisabled } from '../service.ts';
import { authorizeServer } from '../../../server/http/ui/authorize.ts';
import { readCheckedForm } from '../../../server/http/ui/csrf.ts';
import { requireSession, seeOther, type UiSession } from '../../../server/http/ui/session.ts';
import { flash, view } from '../../../server/http/ui/view.ts';

interface UsersMessages {
  notice?: string;
  error?: { message: string; hint?: string };
  /** A one-time invite link, just made. */
  invite?: { user: string; url: string; created: boolean };
  /** What was typed into the new-user form, kept when it failed. */
  userForm?: { name: string; email: string; admin: boolean };
}

async function renderUsersPage(scalarium: Scalarium, ctx: Koa.Context, session: UiSession, messages: UsersMessages = {}, status = 200): Promise<void> {
  const users = (await listUsers(scalarium.db)).map((u) => ({ ...u, self: u.id === session.principal.user.id }));
  view(scalarium, ctx, 'access/users', { title: 'Users', users, ...messages }, session);
  ctx.status = status;
}

type Handler = (session: UiSession, form: Record<string, string>, ctx: Koa.Context) => Promise<void>;

/** An admin-only form: session, origin + CSRF, the authorize hook; catalogue errors re-render the page. */
function adminPost(scalarium: Scalarium, router: Router, path: string, handle: Handler, keep?: (form: Record<string, string>) => UsersMessages): void {
  router.post(path, async (ctx) => {
    const session = await requireSession(scalarium, ctx);
    if (!session) return;
    const form = await readCheckedForm(scalarium, ctx, session);
    await authorizeServer(scalarium, ctx, session.principal, 'admin');
    try {
      await handle(session, form, ctx);
    } catch (error) {
      if (!(error instanceof ScalariumError)) throw error;
      await renderUsersPage(scalarium, ctx, session, { ...keep?.(form), error: { message: error.message, hint: error.hint } }, error.status);
    }
  });
}

export function usersPageRoutes(scalarium: Scalarium, router: Router): void {
  router.get('/users', async (ctx) => {
    const session = await requireSession(scalarium, ctx);
    if (!session) return;
    await authorizeServer(scalarium, ctx, session.principal, 'admin');
    await renderUsersPage(scalarium, ctx, session, { notice: flash(ctx, 'notice') });
  });

  adminPost(scalarium, router, '/users', async (session, form, ctx) => {
    const { user, inviteUrl } = await createUserWithInvite(scalarium, session.principal, {
      name: (form.name ?? '').trim(), email: (form.email ?? '').trim(), admin: form.admin === 'on',
    });
    await renderUsersPage(scalarium, ctx, session, { notice: `Created ${user.name}${user.admin ? ' (admin)' : ''}`, invite: { user: user.name, url: inviteUrl, created: true } }, 201);
  }, (form) => ({ userForm: { name: form.name ?? '', email: form.email ?? '', admin: form.admin === 'on' } }));

  adminPost(scalarium, router, '/users/:user/invite', async (session, _form, ctx) => {
    const url = await reinvite(scalarium, session.principal, ctx.params.user);
    await renderUsersPage(scalarium, ctx, session, { invite: { user: ctx.params.user, url, created: false } });
  });

  adminPost(scalarium, router, '/users/:user/disable', async (session, _form, ctx) => {
    const user = await setUserDisabled(scalarium, session.principal, ctx.params.user, true);
    seeOther(ctx, `/users?notice=${encodeURIComponent(`Disabled ${user.name}: their sessions have ended and their tokens stop working`)}`);
  });

  adminPost(scalarium, router, '/users/:user/enable', async (session, _form, ctx) => {
    const user = await setUserDisabled(scalarium, session.principal, ctx.params.user, false);
    seeOther(ctx, `/users?notice=${encodeURIComponent(`Enabled ${user.name}`)}`);
  });

  adminPost(scalarium, router, '/users/:user/delete', async (session, _form, ctx) => {
    const name = ctx.params.user;
    await destroyUser(scalarium, session.principal, name);
    seeOther(ctx, `/users?notice=${encodeURIComponent(`Deleted ${name}`)}`);
  });
}
