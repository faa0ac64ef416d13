// UI sessions: an HttpOnly cookie carries a random id; the server keeps only its hash, the user and
// the session's CSRF token (db/identity.ts). Every login makes a fresh id; logout deletes it, and so
// does disabling the user.
import type Koa from 'koa';
import type { Scalarium } from '../../core/scalarium.ts';
import { createSession, deleteSession, findSession, type Principal, type User } from '../../db/identity.ts';
import { readCookie, setCookie } from './cookies.ts';

export const SESSION_COOKIE = 'scalarium_session';
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
const SESSION_ID = /^[A-Za-z0-9_-]{20,100}$/;

export interface UiSession {
  id: string;
  principal: Principal;
  csrf: string;
  /** May manage users and read the audit log (the authorize hook's 'admin' on the server). */
  admin: boolean;
}

function cookieSessionId(ctx: Koa.Context): string | undefined {
  const id = readCookie(ctx, SESSION_COOKIE);
  return id && SESSION_ID.test(id) ? id : undefined;
}

/** The request's valid session, or undefined (remembered on ctx.state for the error page). */
export async function loadSession(scalarium: Scalarium, ctx: Koa.Context): Promise<UiSession | undefined> {
  if ('uiSession' in ctx.state) return ctx.state.uiSession as UiSession | undefined;
  const id = cookieSessionId(ctx);
  let session: UiSession | undefined;
  if (id) {
    const principal = await scalarium.hooks.authenticate.promise({ sessionId: id });
    const stored = principal ? await findSession(scalarium.db, id) : undefined;
    if (principal && stored) {
      const admin = Boolean(await scalarium.hooks.authorize.promise(principal, 'admin', { kind: 'server' }));
      session = { id, principal: { ...principal, source: ctx.ip }, csrf: stored.csrf, admin };
    }
  }
  ctx.state.uiSession = session;
  return session;
}

/** The session, or a redirect to the login page (303 after a POST) and undefined. */
export async function requireSession(scalarium: Scalarium, ctx: Koa.Context): Promise<UiSession | undefined> {
  const session = await loadSession(scalarium, ctx);
  if (!session) seeOther(ctx, '/login', ctx.method === 'GET' ? 302 : 303);
  return session;
}

/** A fresh session id for the user (the browser's previous session is deleted). */
export async function startSession(scalarium: Scalarium, ctx: Koa.Context, user: User): Promise<void> {
  const previous = cookieSessionId(ctx);
  if (previous) await deleteSession(scalarium.db, previous);
  const { id } = await createSession(scalarium.db, user.id, SESSION_TTL_MS);
  setCookie(ctx, SESSION_COOKIE, id, { path: '/', maxAgeMs: SESSION_TTL_MS, sameSite: 'lax' });
}

export async function endSession(scalarium: Scalarium, ctx: Koa.Context, session: UiSession | undefined): Promise<void> {
  if (session) await deleteSession(scalarium.db, session.id);
  setCookie(ctx, SESSION_COOKIE, '', { path: '/', maxAgeMs: 0, sameSite: 'lax' });
}

export function seeOther(ctx: Koa.Context, location: string, status = 303): void {
  ctx.redirect(location);
  ctx.status = status;
}
