// The "device" cookie: a browser its user has logged in with before. It is signed with a key of this
// server (<data>/ui-device.key, 32 random bytes, mode 0600, made at first use) and lets that user
// past the per-account login throttle, so that someone guessing at an account cannot lock its owner
// out (plugins/access/service.ts checkPasswordLogin). It grants nothing by itself: the password is
// still checked.
//
//   scalarium_device=<userId>.<random>.<hmac>    hmac = HMAC-SHA256(key, "<userId>.<random>")
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type Koa from 'koa';
import type { Scalarium } from '../../../server/core/scalarium.ts';
import type { User } from '../../../server/db/identity.ts';
import { startSession } from '../../../server/http/ui/session.ts';

export const DEVICE_COOKIE = 'scalarium_device';
const MAX_AGE_SECONDS = 365 * 86_400;
const KEY_FILE = 'ui-device.key';
const KEY_BYTES = 32;
const SHAPE = /^([1-9][0-9]{0,15})\.([A-Za-z0-9_-]{22,64})\.([A-Za-z0-9_-]{43})$/;

const keys = new Map<string, Buffer>();

/** The signing key of this data dir, read once; created (or replaced, if unreadable as a key) when needed. */
export function deviceKey(dataDir: string): Buffer {
  const cached = keys.get(dataDir);
  if (cached) return cached;
  const file = path.join(dataDir, KEY_FILE);
  let key: Buffer | undefined;
  try {
    key = fs.readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (key?.length === KEY_BYTES) {
    if ((fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
  } else {
    key = crypto.randomBytes(KEY_BYTES);
    // Written aside and renamed into place: a reader never sees half a key. A broken key file only
    // costs the existing device cookies.
    const temp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
    fs.writeFileSync(temp, key, { mode: 0o600, flag: 'wx' });
    fs.renameSync(temp, file);
  }
  keys.set(dataDir, key);
  return key;
}

function sign(key: Buffer, payload: string): Buffer {
  return crypto.createHmac('sha256', key).update(payload).digest();
}

/** A fresh device cookie value for the user. */
export function deviceCookieValue(key: Buffer, userId: number): string {
  const payload = `${userId}.${crypto.randomBytes(24).toString('base64url')}`;
  return `${payload}.${sign(key, payload).toString('base64url')}`;
}

/** The user id a cookie value was signed for, or undefined when it is malformed or forged. */
export function verifyDeviceCookie(key: Buffer, value: string | undefined): number | undefined {
  const match = value ? SHAPE.exec(value) : null;
  if (!match) return undefined;
  const given = Buffer.from(match[3]!, 'base64url');
  const expected = sign(key, `${match[1]}.${match[2]}`);
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return undefined;
  const userId = Number(match[1]);
  return Number.isSafeInteger(userId) ? userId : undefined;
}

/** For checkPasswordLogin: does this request come from a browser the user has logged in with? */
export function trustedDevice(scalarium: Scalarium, ctx: Koa.Context): (user: User) => boolean {
  return (user) => verifyDeviceCookie(deviceKey(scalarium.config.dataDir), ctx.cookies.get(DEVICE_COOKIE)) === user.id;
}

/** Set after every successful login (a new random part each time). */
export function setDeviceCookie(scalarium: Scalarium, ctx: Koa.Context, user: User): void {
  const value = deviceCookieValue(deviceKey(scalarium.config.dataDir), user.id);
  // Only the login form needs it.
  const attributes = [`${DEVICE_COOKIE}=${value}`, 'Path=/login', `Max-Age=${MAX_AGE_SECONDS}`, 'HttpOnly', 'SameSite=Lax'];
  if (ctx.secure) attributes.push('Secure');
  ctx.append('Set-Cookie', attributes.join('; '));
}

/** Logging in: a fresh session, and the device cookie that keeps this browser past the throttle. */
export async function logIn(scalarium: Scalarium, ctx: Koa.Context, user: User): Promise<void> {
  await startSession(scalarium, ctx, user);
  setDeviceCookie(scalarium, ctx, user);
}
