// Renders a UI page into the response: the layout gets the user, the CSRF token for its logout
// form, and the nav (core's entries; plugins add theirs through hooks.nav).
import type Koa from 'koa';
import type { Scalarium } from '../../core/scalarium.ts';
import type { NavItem } from '../../core/types.ts';
import type { UiSession } from './session.ts';

export function view(scalarium: Scalarium, ctx: Koa.Context, page: string, context: { title: string; [key: string]: unknown }, session?: UiSession): void {
  const nav = session ? scalarium.hooks.nav.call(coreNav(session), { user: session.principal.user.name, admin: session.admin }) : undefined;
  ctx.type = 'text/html; charset=utf-8';
  // Apps that are not isolated are said on every page, not only at start-up.
  const isolationWarning = session ? scalarium.isolation.warning : undefined;
  ctx.body = scalarium.templates.render(page, { ...context, user: session ? { name: session.principal.user.name } : undefined, csrf: session?.csrf, nav, isolationWarning });
}

/** Everyone has the apps and clusters they may read; Status only for admins (the page checks again). */
function coreNav(session: UiSession): NavItem[] {
  return [
    { href: '/', label: 'Apps' },
    { href: '/clusters', label: 'Clusters' },
    ...(session.admin ? [{ href: '/status', label: 'Status' }] : []),
  ];
}

/** A short message passed in the query string after a redirect (rendered escaped). */
export function flash(ctx: Koa.Context, name: 'notice'): string | undefined {
  const value = ctx.query[name];
  return typeof value === 'string' && value ? value.slice(0, 200) : undefined;
}

/**
 * The tabs of an app's pages: its overview, then what plugins add (hooks.appNav), the current one
 * marked. A page hands them to its template as `tabs` (the app-tabs partial draws them).
 */
export function appTabs(scalarium: Scalarium, session: UiSession, app: string, currentHref: string): { tabs: Array<NavItem & { current: boolean }>; tabsOf: string } {
  const items = scalarium.hooks.appNav.call([{ href: `/apps/${encodeURIComponent(app)}`, label: 'Overview' }], { app, viewer: { user: session.principal.user.name, admin: session.admin } });
  return { tabs: items.length > 1 ? items.map((item) => ({ ...item, current: item.href === currentHref })) : [], tabsOf: `Pages of ${app}` };
}

/** The same for a cluster's pages (hooks.clusterNav); the template draws them with the same partial. */
export function clusterTabs(scalarium: Scalarium, session: UiSession, cluster: string, currentHref: string): { tabs: Array<NavItem & { current: boolean }>; tabsOf: string } {
  const items = scalarium.hooks.clusterNav.call([{ href: `/clusters/${encodeURIComponent(cluster)}`, label: 'Overview' }], { cluster, viewer: { user: session.principal.user.name, admin: session.admin } });
  return { tabs: items.length > 1 ? items.map((item) => ({ ...item, current: item.href === currentHref })) : [], tabsOf: `Pages of cluster ${cluster}` };
}
