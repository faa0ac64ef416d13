// Passwords: scrypt (N = 2^17, r = 8, p = 1, ~128 MiB per check) with a random salt. Rules after
// NIST 800-63B: at least 8 characters, long passphrases welcome, no composition rules, and the most
// common passwords refused.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { ScalariumError } from '../../server/plugin-api.ts';

const scryptRaw = promisify(crypto.scrypt) as (password: string, salt: Buffer, keylen: number, options: crypto.ScryptOptions) => Promise<Buffer>;

// scrypt runs on libuv's thread pool, which SQLite queries share: at most two checks at a time keep
// the database answering while a burst of logins (or an attack) is hashed.
const MAX_CONCURRENT = 2;
let active = 0;
const waiting: Array<() => void> = [];
async function scrypt(password: string, salt: Buffer, keylen: number, options: crypto.ScryptOptions): Promise<Buffer> {
  if (active >= MAX_CONCURRENT) await new Promise<void>((resolve) => waiting.push(resolve));
  active++;
  try {
    return await scryptRaw(password, salt, keylen, options);
  } finally {
    active--;
    waiting.shift()?.();
  }
}
const PARAMS = { N: 2 ** 17, r: 8, p: 1, maxmem: 256 * 1024 * 1024 };
const MIN_LENGTH = 8;
const MAX_LENGTH = 1024;

const COMMON = new Set(
  fs.readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8').split('\n').map((l) => l.trim().toLowerCase()).filter(Boolean),
);

export function checkPasswordPolicy(password: unknown, context: string[] = []): string {
  if (typeof password !== 'string' || password.length < MIN_LENGTH) {
    throw new ScalariumError('weak_password', { reason: `use at least ${MIN_LENGTH} characters` });
  }
  if (password.length > MAX_LENGTH) throw new ScalariumError('weak_password', { reason: `use at most ${MAX_LENGTH} characters` });
  const lower = password.toLowerCase();
  if (COMMON.has(lower) || context.some((c) => c && lower === c.toLowerCase())) {
    throw new ScalariumError('weak_password', { reason: 'it is one of the most common passwords or your user name' });
  }
  return password;
}

export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.randomBytes(16);
  const hash = await scrypt(password.normalize('NFKC'), salt, 32, PARAMS);
  return `scrypt$${Math.log2(PARAMS.N)}$${PARAMS.r}$${PARAMS.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string | null | undefined): Promise<boolean> {
  const parts = (stored ?? '').split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') {
    // Spend the same time as a real check so that timing does not reveal unknown accounts.
    await scrypt(password, crypto.randomBytes(16), 32, PARAMS);
    return false;
  }
  const [, logN, r, p, salt, hash] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hash, 'base64');
  const actual = await scrypt(password.normalize('NFKC'), Buffer.from(salt, 'base64'), expected.length, {
    N: 2 ** Number(logN), r: Number(r), p: Number(p), maxmem: PARAMS.maxmem,
  });
  return crypto.timingSafeEqual(actual, expected);
}
