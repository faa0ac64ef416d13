// The Drains tab of an app's and a cluster's pages: the drains with their redacted URLs, state and
// counters, and forms to add and remove them. Managers only (the drains' URLs are where the logs
// go); others see that the tab is for managers. The POSTs check again (formPost).
import type Router from '@koa/router';
import type Koa from 'koa';
import {
  appTabs, authorizeApp, authorizeCluster, clusterTabs, flash, formPost, mayOnApp, mayOnCluster, requireSession, view, withNotice,
  type Form, type FormError, type UiSession,
} from '../../server/plugin-api.ts';
import { addDrain, listOwnerDrains, ownerOf, removeDrain, type Drains } from './service.ts';

type Kind = 'app' | 'cluster';

export const drainsPagePath = (kind: Kind, name: string): string => `/${kind}s/${encodeURIComponent(name)}/drains`;

interface Messages { notice?: string; error?: FormError; form?: Form }

async function render(drains: Drains, ctx: Koa.Context, session: UiSession, kind: Kind, name: string, messages: Messages = {}): Promise<void> {
  const { scalarium } = drains;
  const path = drainsPagePath(kind, name);
  const mayManage = kind === 'app'
    ? await mayOnApp(scalarium, session.principal, 'manage', name)
    : await mayOnCluster(scalarium, session.principal, 'manage', name);
  const list = mayManage ? await listOwnerDrains(drains, await ownerOf(scalarium, kind, name)) : [];
  view(scalarium, ctx, 'log-drains/drains', {
    title: `${name} · drains`, ...(kind === 'app' ? { appName: name } : { clusterName: name }),
    ...(kind === 'app' ? appTabs(scalarium, session, name, path) : clusterTabs(scalarium, session, name, path)),
    path, flag: `--${kind} ${name}`, mayManage, drains: list, ...messages,
  }, session);
}

export function drainsPages(drains: Drains, router: Router): void {
  const { scalarium } = drains;
  for (const kind of ['app', 'cluster'] as const) {
    const authorize = (ctx: Koa.Context, session: UiSession, name: string) => kind === 'app'
      ? authorizeApp(scalarium, ctx, session.principal, 'read', name)
      : authorizeCluster(scalarium, ctx, session.principal, 'read', name);
    router.get(`/${kind}s/:${kind}/drains`, async (ctx) => {
      const session = await requireSession(scalarium, ctx);
      if (!session) return;
      const name = String(ctx.params[kind]);
      await authorize(ctx, session, name);
      await ownerOf(scalarium, kind, name); // 404 for a cluster that does not exist
      await render(drains, ctx, session, kind, name, { notice: flash(ctx, 'notice') });
    });
    const post = (suffix: string, act: (session: UiSession, name: string, form: Form) => Promise<string>) => formPost(scalarium, router, {
      path: `/${kind}s/:${kind}/drains${suffix}`, on: kind, action: 'manage',
      handle: async (ctx, session, form) => {
        const name = String(ctx.params[kind]);
        return withNotice(drainsPagePath(kind, name), await act(session, name, form));
      },
      rerender: (ctx, session, form, error) => render(drains, ctx, session, kind, String(ctx.params[kind]), { error, form }),
    });
    post('', async (session, name, form) => {
      const added = await addDrain(drains, session.principal, await ownerOf(scalarium, kind, name), {
        url: form.url ?? '', ...(form.format && form.format !== 'default' ? { format: form.format } : {}),
      });
      return `Logs of ${kind} ${name} now drain to ${added.url}`;
    });
    post('/remove', async (session, name, form) => {
      const removed = await removeDrain(drains, session.principal, await ownerOf(scalarium, kind, name), form.token ?? '');
      return `The drain to ${removed.url} is removed`;
    });
  }
}
