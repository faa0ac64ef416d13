// The "device" cookie: a browser its user has logged in with before. It lets that user past the
// per-account login throttle, so that someone guessing at an account cannot lock its owner out
// (plugins/access/service.ts checkPasswordLogin). It grants nothing by itself: the password is still
// checked.
//
//   scalarium_device=<userId>.<random>   scalarium_device.sig=<HMAC-SHA256 by koa's signed cookies>
//
// The signing keys are derived from the server's secret key (server/http/app.ts), so a forged or
// edited cookie is not believed, and every server sharing that key accepts the same cookie.
import crypto from 'node:crypto';
import type Koa from 'koa';
import { type Scalarium, type User, readCookie, setCookie, startSession } from '../../../server/plugin-api.ts';

export const DEVICE_COOKIE = 'scalarium_device';
const MAX_AGE_MS = 365 * 86_400_000;
const SHAPE = /^([1-9][0-9]{0,15})\.[A-Za-z0-9_-]{32}$/;

/** The user id a (signature-checked) cookie value names, or undefined when it is malformed. */
export function deviceUserId(value: string | undefined): number | undefined {
  const match = value ? SHAPE.exec(value) : null;
  const userId = match ? Number(match[1]) : NaN;
  return Number.isSafeInteger(userId) ? userId : undefined;
}

/** For checkPasswordLogin: does this request come from a browser the user has logged in with? */
export function trustedDevice(ctx: Koa.Context): (user: User) => boolean {
  return (user) => deviceUserId(readCookie(ctx, DEVICE_COOKIE, { signed: true })) === user.id;
}

/** Set after every successful login (a new random part each time); only the login form needs it. */
export function setDeviceCookie(ctx: Koa.Context, user: User): void {
  const value = `${user.id}.${crypto.randomBytes(24).toString('base64url')}`;
  setCookie(ctx, DEVICE_COOKIE, value, { path: '/login', maxAgeMs: MAX_AGE_MS, sameSite: 'lax', signed: true });
}

/** Logging in: a fresh session, and the device cookie that keeps this browser past the throttle. */
export async function logIn(scalarium: Scalarium, ctx: Koa.Context, user: User): Promise<void> {
  await startSession(scalarium, ctx, user);
  setDeviceCookie(ctx, user);
}
