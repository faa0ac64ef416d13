// Cross-site request forgery: every UI POST must come from our own pages. The browser's
// Sec-Fetch-Site and Origin headers (when sent) must say same-origin, and forms of a logged-in user
// must carry the session's secret token in the hidden field `csrf` (before a session exists: a
// double-submitted cookie token).
import crypto from 'node:crypto';
import type Koa from 'koa';
import type { Scalarium } from '../../core/scalarium.ts';
import { ScalariumError } from '../../core/errors.ts';
import { audit } from '../../core/audit.ts';
import { readForm } from '../json-body.ts';
import type { UiSession } from './session.ts';
import { readCookie, setCookie } from './cookies.ts';

const SAME_SITE = new Set(['same-origin', 'none']);

/**
 * The whole origin counts, scheme and port included: a page on https://host or http://host:8443
 * is another origin than http://host and must not post here. Our own origin is what koa sees —
 * ctx.protocol honours X-Forwarded-Proto only when the app trusts a proxy. URL parsing on both
 * sides normalises case and default ports (http://host:80 is http://host).
 */
export function isSameOrigin(ctx: Koa.Context): boolean {
  const site = ctx.get('sec-fetch-site');
  if (site && !SAME_SITE.has(site.toLowerCase())) return false;
  const origin = ctx.get('origin');
  if (origin) {
    let given: string;
    let own: string;
    try {
      given = new URL(origin).origin;
      own = new URL(`${ctx.protocol}://${ctx.host}`).origin;
    } catch {
      return false; // unparsable, or no usable Host of our own
    }
    // An opaque origin ("null", file:, data:) serialises as "null" and never equals ours.
    if (given === 'null' || given !== own) return false;
  }
  return true;
}

export function tokenMatches(expected: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

/** Reads a POSTed form after checking its origin and (with a session) its CSRF token; 403 otherwise. */
export async function readCheckedForm(scalarium: Scalarium, ctx: Koa.Context, session?: UiSession): Promise<Record<string, string>> {
  return checkedForm(scalarium, ctx, session ? { expected: session.csrf, actor: session.principal.user.name } : undefined);
}

// Before there is a session (the invite page): the double-submit pattern. The GET sets a random
// token in an HttpOnly cookie and the same token in the form's hidden field; the POST must carry
// both, equal. Another site can neither read the cookie nor set it, so it cannot forge the pair
// (and the origin check above applies as well).
export const CSRF_COOKIE = 'scalarium_csrf';
const CSRF_SHAPE = /^[A-Za-z0-9_-]{43}$/;

function csrfCookie(ctx: Koa.Context): string | undefined {
  const value = readCookie(ctx, CSRF_COOKIE);
  return value && CSRF_SHAPE.test(value) ? value : undefined;
}

/** The token for a pre-session form: the browser's current one, or a new one set in the cookie. */
export function preSessionCsrf(ctx: Koa.Context, cookiePath: string): string {
  const existing = csrfCookie(ctx);
  if (existing) return existing;
  const token = crypto.randomBytes(32).toString('base64url');
  setCookie(ctx, CSRF_COOKIE, token, { path: cookiePath, maxAgeMs: 86_400_000, sameSite: 'strict' });
  return token;
}

/** After the pre-session form succeeded: its token is spent. */
export function clearPreSessionCsrf(ctx: Koa.Context, cookiePath: string): void {
  setCookie(ctx, CSRF_COOKIE, '', { path: cookiePath, maxAgeMs: 0, sameSite: 'strict' });
}

/**
 * Reads a pre-session form: same origin, and the hidden field equals the cookie; 403 otherwise.
 * `route` names the path in the audit log instead of the real one (which may hold a secret).
 */
export async function readCheckedPreSessionForm(scalarium: Scalarium, ctx: Koa.Context, route: string): Promise<Record<string, string>> {
  return checkedForm(scalarium, ctx, { expected: csrfCookie(ctx), actor: 'anonymous' }, route);
}

async function checkedForm(
  scalarium: Scalarium, ctx: Koa.Context, token: { expected: string | undefined; actor: string } | undefined, route = ctx.path,
): Promise<Record<string, string>> {
  const sameOrigin = isSameOrigin(ctx);
  const form = sameOrigin ? await readForm(ctx) : {};
  if (!sameOrigin || (token && (!token.expected || !tokenMatches(token.expected, form.csrf)))) {
    await audit(scalarium, token?.actor ?? 'anonymous', `POST ${route}`.slice(0, 255), undefined, {
      outcome: 'denied', source: ctx.ip, detail: { reason: sameOrigin ? 'csrf token mismatch' : 'cross-origin request' },
    });
    throw new ScalariumError('forbidden');
  }
  return form;
}
