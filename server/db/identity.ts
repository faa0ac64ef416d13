// Users, API tokens, invites and UI sessions. Tokens, invites and session ids are stored only as
// SHA-256 hashes: the plaintext is shown once, at creation.
import crypto from 'node:crypto';
import { now, type Db } from './knex.ts';

export type Role = 'viewer' | 'deployer' | 'manager';
export const ROLES: readonly Role[] = ['viewer', 'deployer', 'manager'];

export interface User { id: number; name: string; email: string | null; admin: boolean; disabled: boolean; hasPassword: boolean }
export interface Scope { kind: 'app' | 'cluster'; name: string }
export interface Principal {
  user: User;
  tokenName: string;
  /** A scoped token acts only on this app or cluster. */
  scope?: Scope;
  /** A capped token can do at most what this role allows. */
  role?: Role;
  /** The address the request came from (for the audit log). */
  source?: string;
}
export interface TokenInfo { name: string; scope: Scope | null; role: Role | null; createdAt: string; expiresAt: string | null; lastUsedAt: string | null; hint: string }

export const sha256 = (text: string): string => crypto.createHash('sha256').update(text).digest('hex');

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function base62(bytes: Buffer, length: number): string {
  let out = '';
  for (const byte of bytes) {
    if (byte >= 248) continue; // keep the distribution uniform
    out += BASE62[byte % 62];
    if (out.length === length) return out;
  }
  return out + base62(crypto.randomBytes(length), length - out.length);
}

function checksum(body: string): string {
  const n = crc32(Buffer.from(body));
  let out = '';
  for (let v = n, i = 0; i < 6; i++, v = Math.floor(v / 62)) out = BASE62[v % 62] + out;
  return out;
}

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

const TOKEN_SHAPE = /^scl_([0-9A-Za-z]{30})_([0-9A-Za-z]{6})$/;

/** `scl_` + 30 random base62 characters + `_` + a CRC32 checksum, so scanners can recognise leaks. */
export function newToken(): string {
  const body = base62(crypto.randomBytes(40), 30);
  return `scl_${body}_${checksum(body)}`;
}

/** True for a token of our format with a correct checksum. */
export function isWellFormedToken(token: string): boolean {
  const match = TOKEN_SHAPE.exec(token);
  return Boolean(match) && checksum(match![1]!) === match![2];
}

/** False only for strings shaped like our tokens whose checksum is wrong (typos, forgeries). */
export function plausibleToken(token: string): boolean {
  const match = TOKEN_SHAPE.exec(token);
  return !match || checksum(match[1]!) === match[2];
}

export async function findUserByName(db: Db, name: string): Promise<User | undefined> {
  const row = await db('users').where({ name }).first();
  return row ? toUser(row) : undefined;
}

export async function findUserWithPassword(db: Db, name: string): Promise<{ user: User; passwordHash: string | null } | undefined> {
  const row = await db('users').where({ name }).first();
  return row ? { user: toUser(row), passwordHash: row.password_hash } : undefined;
}

export async function listUsers(db: Db): Promise<Array<User & { createdAt: string; invitePending: boolean }>> {
  const rows = await db('users').orderBy('name');
  const pending = new Set((await db('invites').where('expires_at', '>', now()).select('user_id')).map((r) => r.user_id as number));
  return rows.map((r) => ({ ...toUser(r), createdAt: r.created_at, invitePending: pending.has(r.id) }));
}

export async function countUsers(db: Db): Promise<number> {
  const row = await db('users').count({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

export async function countEnabledAdmins(db: Db): Promise<number> {
  const row = await db('users').where({ admin: true, disabled: false }).count({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

export async function createUser(db: Db, name: string, options: { email?: string | null; admin?: boolean } = {}): Promise<User> {
  const [id] = await db('users').insert({ name, email: options.email ?? null, admin: options.admin ?? false, created_at: now() });
  return { id: Number(id), name, email: options.email ?? null, admin: options.admin ?? false, disabled: false, hasPassword: false };
}

export async function setPassword(db: Db, userId: number, passwordHash: string): Promise<void> {
  await db('users').where({ id: userId }).update({ password_hash: passwordHash });
}

/** Disabling ends every session at once; tokens stop working because authentication checks the flag. */
export async function setDisabled(db: Db, userId: number, disabled: boolean): Promise<void> {
  await db.transaction(async (trx) => {
    await trx('users').where({ id: userId }).update({ disabled });
    if (disabled) await trx('sessions').where({ user_id: userId }).delete();
  });
}

export async function deleteUser(db: Db, userId: number): Promise<void> {
  await db('users').where({ id: userId }).delete();
}

export interface NewToken { name: string; scope?: Scope; role?: Role; expiresAt?: string; plaintext?: string }

/** Stores a token (given, or fresh) for the user and returns its plaintext. */
export async function createToken(db: Db, userId: number, token: NewToken): Promise<string> {
  const plaintext = token.plaintext ?? newToken();
  await db('tokens').insert({
    user_id: userId, name: token.name, hash: sha256(plaintext), created_at: now(), expires_at: token.expiresAt ?? null,
    scope_kind: token.scope?.kind ?? null, scope_name: token.scope?.name ?? null, role: token.role ?? null,
    hint: `${plaintext.slice(0, 8)}…`,
  });
  return plaintext;
}

export async function findToken(db: Db, userId: number, name: string): Promise<TokenInfo | undefined> {
  const row = await db('tokens').where({ user_id: userId, name }).first();
  return row ? toTokenInfo(row) : undefined;
}

export async function listTokens(db: Db, userId: number): Promise<TokenInfo[]> {
  return (await db('tokens').where({ user_id: userId }).orderBy('name')).map(toTokenInfo);
}

export async function deleteToken(db: Db, userId: number, name: string): Promise<boolean> {
  return (await db('tokens').where({ user_id: userId, name }).delete()) > 0;
}

export async function principalForToken(db: Db, plaintext: string): Promise<Principal | undefined> {
  if (!plausibleToken(plaintext)) return undefined;
  const row = await db('tokens')
    .join('users', 'users.id', 'tokens.user_id')
    .where('tokens.hash', sha256(plaintext))
    .select('users.*', 'tokens.id as token_id', 'tokens.name as token_name', 'tokens.expires_at', 'tokens.last_used_at',
      'tokens.scope_kind', 'tokens.scope_name', 'tokens.role as token_role')
    .first();
  if (!row || row.disabled) return undefined;
  const at = now();
  if (row.expires_at && row.expires_at <= at) return undefined;
  // Recorded at most once a minute: a busy CI token should not write on every request.
  if (!row.last_used_at || Date.parse(row.last_used_at) < Date.now() - 60_000) {
    await db('tokens').where({ id: row.token_id }).update({ last_used_at: at });
  }
  return {
    user: toUser(row), tokenName: row.token_name,
    ...(row.scope_kind ? { scope: { kind: row.scope_kind, name: row.scope_name } } : {}),
    ...(row.token_role ? { role: row.token_role } : {}),
  };
}

/** A one-time link to choose a password; issuing a new one voids the old ones. */
export async function createInvite(db: Db, userId: number, ttlMs: number): Promise<string> {
  const plaintext = crypto.randomBytes(32).toString('base64url');
  await db.transaction(async (trx) => {
    await trx('invites').where({ user_id: userId }).delete();
    await trx('invites').insert({ hash: sha256(plaintext), user_id: userId, expires_at: new Date(Date.now() + ttlMs).toISOString() });
  });
  return plaintext;
}

export async function findInvite(db: Db, plaintext: string): Promise<User | undefined> {
  const row = await db('invites').join('users', 'users.id', 'invites.user_id')
    .where('invites.hash', sha256(plaintext)).where('invites.expires_at', '>', now()).select('users.*').first();
  return row && !row.disabled ? toUser(row) : undefined;
}

/** Uses the invite up: true when it was still valid. */
export async function consumeInvite(db: Db, plaintext: string): Promise<boolean> {
  return (await db('invites').where({ hash: sha256(plaintext) }).where('expires_at', '>', now()).delete()) > 0;
}

export async function createSession(db: Db, userId: number, ttlMs: number): Promise<{ id: string; csrf: string }> {
  const id = crypto.randomBytes(32).toString('base64url');
  const csrf = crypto.randomBytes(32).toString('base64url');
  await db('sessions').insert({
    hash: sha256(id), user_id: userId, csrf, created_at: now(), expires_at: new Date(Date.now() + ttlMs).toISOString(),
  });
  return { id, csrf };
}

export async function findSession(db: Db, id: string): Promise<{ user: User; csrf: string } | undefined> {
  const row = await db('sessions').join('users', 'users.id', 'sessions.user_id')
    .where('sessions.hash', sha256(id)).where('sessions.expires_at', '>', now()).where('users.disabled', false)
    .select('users.*', 'sessions.csrf').first();
  return row ? { user: toUser(row), csrf: row.csrf } : undefined;
}

export async function deleteSession(db: Db, id: string): Promise<void> {
  await db('sessions').where({ hash: sha256(id) }).delete();
}

function toUser(row: { id: number; name: string; email: string | null; admin: number | boolean; disabled?: number | boolean; password_hash?: string | null }): User {
  return { id: row.id, name: row.name, email: row.email, admin: Boolean(row.admin), disabled: Boolean(row.disabled), hasPassword: Boolean(row.password_hash) };
}

function toTokenInfo(row: Record<string, any>): TokenInfo {
  return {
    name: row.name, scope: row.scope_kind ? { kind: row.scope_kind, name: row.scope_name } : null, role: row.role ?? null,
    createdAt: row.created_at, expiresAt: row.expires_at, lastUsedAt: row.last_used_at, hint: row.hint ?? '',
  };
}
