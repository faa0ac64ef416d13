// GET /account : the user's own API tokens (never their secrets: only a short hint) with revoke
// buttons and a form to make one — its secret is shown once, on the page answering the POST — and
// the user's SSH public keys, to add and remove. All through plugins/access/service.ts.
import type Router from '@koa/router';
import type Koa from 'koa';
import {
  ScalariumError, listApps, listTokens, ROLES, authorizeServer, mayOnApp, requireSession, flash, view, formPost, withNotice, type Scalarium, type UiSession, type Form, type FormError,
} from '../../../server/plugin-api.ts';
import { listKeys } from '../db/ssh-keys.ts';
import { addSshKey, createApiToken, removeSshKey, revokeApiToken } from '../service.ts';

interface AccountMessages {
  notice?: string;
  error?: FormError;
  /** A token just made: its only appearance. */
  newToken?: { name: string; token: string };
  tokenForm?: { name: string; app: string; role: string; expires: string };
  keyForm?: { publicKey: string };
}

async function renderAccountPage(scalarium: Scalarium, ctx: Koa.Context, session: UiSession, messages: AccountMessages = {}, status = 200): Promise<void> {
  const { user } = session.principal;
  const tokens = (await listTokens(scalarium.db, user.id)).map((t) => ({
    name: t.name, hint: t.hint, scope: t.scope ? `${t.scope.kind} ${t.scope.name}` : undefined, role: t.role ?? undefined,
    createdAt: t.createdAt, expiresAt: t.expiresAt, lastUsedAt: t.lastUsedAt,
    expired: Boolean(t.expiresAt && Date.parse(t.expiresAt) <= Date.now()),
  }));
  const keys = (await listKeys(scalarium.db, user.id)).map(({ fingerprint, type, comment, createdAt }) => ({ fingerprint, type, comment, createdAt }));
  const apps: Array<{ name: string; selected: boolean }> = [];
  const tokenForm = messages.tokenForm ?? { name: '', app: '', role: '', expires: '90d' };
  for (const app of await listApps(scalarium.db)) {
    if (await mayOnApp(scalarium, session.principal, 'read', app.name)) apps.push({ name: app.name, selected: app.name === tokenForm.app });
  }
  view(scalarium, ctx, 'access/account', {
    title: 'Account',
    account: { name: user.name, email: user.email, admin: user.admin },
    tokens,
    keys,
    apps,
    roles: ROLES.map((role) => ({ role, selected: role === tokenForm.role })),
    ...messages,
    tokenForm,
  }, session);
  ctx.status = status;
}

/** One's own tokens and keys (the 'self' action); a catalogue error shows the page again with what was typed. */
function selfPost(scalarium: Scalarium, router: Router, path: string, handle: (session: UiSession, form: Form, ctx: Koa.Context) => Promise<string | void>, keep?: (form: Form) => AccountMessages): void {
  formPost(scalarium, router, {
    path, on: 'server', action: 'self',
    handle: (ctx, session, form) => handle(session, form, ctx),
    rerender: (ctx, session, form, error) => renderAccountPage(scalarium, ctx, session, { ...keep?.(form), error }),
  });
}

const notice = (text: string) => withNotice('/account', text);

export function accountPageRoutes(scalarium: Scalarium, router: Router): void {
  router.get('/account', async (ctx) => {
    const session = await requireSession(scalarium, ctx);
    if (!session) return;
    await authorizeServer(scalarium, ctx, session.principal, 'self');
    await renderAccountPage(scalarium, ctx, session, { notice: flash(ctx, 'notice') });
  });

  selfPost(scalarium, router, '/account/tokens', async (session, form, ctx) => {
    const app = (form.app ?? '').trim();
    // A token for an app you cannot see would tell you that the app exists.
    if (app && !(await mayOnApp(scalarium, session.principal, 'read', app))) throw new ScalariumError('app_not_found', { app: app.slice(0, 64) });
    const created = await createApiToken(scalarium, session.principal, {
      name: (form.name ?? '').trim(), app: app || undefined, role: form.role || undefined, expires: (form.expires ?? '').trim() || undefined,
    });
    await renderAccountPage(scalarium, ctx, session, { newToken: { name: created.name, token: created.token } }, 201);
  }, (form) => ({ tokenForm: { name: form.name ?? '', app: form.app ?? '', role: form.role ?? '', expires: form.expires ?? '' } }));

  selfPost(scalarium, router, '/account/tokens/:name/revoke', async (session, _form, ctx) => {
    await revokeApiToken(scalarium, session.principal, ctx.params.name);
    return notice(`Revoked token ${ctx.params.name}`);
  });

  selfPost(scalarium, router, '/account/keys', async (session, form, ctx) => {
    const key = await addSshKey(scalarium, session.principal, form.publicKey ?? '');
    // A private key pasted by mistake is not echoed back into the page (keep, below).
    return notice(`Added SSH key ${key.fingerprint}`);
  }, (form) => ({ keyForm: { publicKey: /PRIVATE KEY/.test(form.publicKey ?? '') ? '' : (form.publicKey ?? '').slice(0, 16_384) } }));

  selfPost(scalarium, router, '/account/keys/remove', async (session, form, ctx) => {
    const fingerprint = (form.fingerprint ?? '').slice(0, 200);
    await removeSshKey(scalarium, session.principal, fingerprint);
    return notice(`Removed SSH key ${fingerprint}`);
  });
}
