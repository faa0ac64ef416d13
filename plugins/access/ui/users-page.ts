// GET /users (admins): everyone's account state, a form to invite a new user, and per user: disable,
// enable, a new invite link, delete. Invite links are shown once, on the page that answers the POST
// (never put in a redirect's URL). Everything goes through plugins/access/service.ts, like the API.
import type Router from '@koa/router';
import type Koa from 'koa';
import {
  listUsers, authorizeServer, requireSession, flash, view, formPost, withNotice, type Scalarium, type UiSession, type Form, type FormError,
} from '../../../server/plugin-api.ts';
import { createUserWithInvite, destroyUser, reinvite, setUserDisabled } from '../service.ts';

interface UsersMessages {
  notice?: string;
  error?: FormError;
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

/** An admin-only form; a catalogue error shows the page again with what was typed (keep). */
function adminPost(scalarium: Scalarium, router: Router, path: string, handle: (session: UiSession, form: Form, ctx: Koa.Context) => Promise<string | void>, keep?: (form: Form) => UsersMessages): void {
  formPost(scalarium, router, {
    path, on: 'server', action: 'admin',
    handle: (ctx, session, form) => handle(session, form, ctx),
    rerender: (ctx, session, form, error) => renderUsersPage(scalarium, ctx, session, { ...keep?.(form), error }),
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
    return withNotice('/users', `Disabled ${user.name}: their sessions have ended and their tokens stop working`);
  });

  adminPost(scalarium, router, '/users/:user/enable', async (session, _form, ctx) => {
    const user = await setUserDisabled(scalarium, session.principal, ctx.params.user, false);
    return withNotice('/users', `Enabled ${user.name}`);
  });

  adminPost(scalarium, router, '/users/:user/delete', async (session, _form, ctx) => {
    const name = ctx.params.user;
    await destroyUser(scalarium, session.principal, name);
    return withNotice('/users', `Deleted ${name}`);
  });
}
