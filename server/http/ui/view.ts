// Renders a UI page into the response: the layout gets the user, the CSRF token for its logout
// form, and the nav (admins get Users and Audit; plugins add entries through hooks.nav).
import type Koa from 'koa';
import type { Scalarium } from '../../core/scalarium.ts';
import { renderPage } from './render.ts';
import type { UiSession } from './session.ts';

export function view(scalarium: Scalarium, ctx: Koa.Context, page: string, context: { title: string; [key: string]: unknown }, session?: UiSession): void {
  const nav = session ? scalarium.hooks.nav.call(navItems(session)) : undefined;
  ctx.type = 'text/html; charset=utf-8';
  // Apps that are not isolated are said on every page, not only at start-up.
  const isolationWarning = session ? scalarium.isolation.warning : undefined;
  ctx.body = renderPage(page, { ...context, user: session ? { name: session.principal.user.name } : undefined, csrf: session?.csrf, nav, isolationWarning });
}

/** Users and Audit only for admins (the pages check again); everyone has clusters (those they may
 * read) and an account page. */
function navItems(session: UiSession): Array<{ href: string; label: string }> {
  return [
    { href: '/', label: 'Apps' },
    { href: '/clusters', label: 'Clusters' },
    ...(session.admin ? [{ href: '/users', label: 'Users' }, { href: '/audit', label: 'Audit' }, { href: '/status', label: 'Status' }] : []),
    { href: '/account', label: 'Account' },
  ];
}

/** A short message passed in the query string after a redirect (rendered escaped). */
export function flash(ctx: Koa.Context, name: 'notice'): string | undefined {
  const value = ctx.query[name];
  return typeof value === 'string' && value ? value.slice(0, 200) : undefined;
}
