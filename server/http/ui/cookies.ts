// The UI's cookies, set and read through koa's (the `cookies` package) with the attributes every
// one of them shares: HttpOnly, Secure when the request came over TLS, and a SameSite policy.
// Signing is always said explicitly: with app.keys set (server/http/app.ts), koa would otherwise
// sign, and expect a signature on, every cookie.
import type Koa from 'koa';

export interface CookieOptions {
  path: string;
  /** Lifetime; 0 (or an empty value) deletes the cookie. */
  maxAgeMs: number;
  sameSite: 'lax' | 'strict';
  /** Adds `<name>.sig` (HMAC-SHA256 with the server's cookie keys); readCookie then checks it. */
  signed?: boolean;
}

export function setCookie(ctx: Koa.Context, name: string, value: string, options: CookieOptions): void {
  const remove = !value || options.maxAgeMs <= 0;
  ctx.cookies.set(name, remove ? null : value, {
    path: options.path,
    maxAge: remove ? undefined : options.maxAgeMs,
    httpOnly: true,
    sameSite: options.sameSite,
    secure: ctx.secure,
    signed: options.signed ?? false,
    overwrite: true,
  });
}

/** The cookie's value; for a signed one, only when its signature is valid. */
export function readCookie(ctx: Koa.Context, name: string, options: { signed?: boolean } = {}): string | undefined {
  return ctx.cookies.get(name, { signed: options.signed ?? false }) || undefined;
}
