// Users, API tokens and UI sessions. Tokens and session ids are stored only as SHA-256 hashes: the
// plaintext is shown once, at creation.
import crypto from 'node:crypto';
import { now, type Db } from './knex.ts';

export interface User { id: number; name: string; email: string | null; admin: boolean }
export interface Principal { user: User; tokenName: string }

export const sha256 = (text: string): string => crypto.createHash('sha256').update(text).digest('hex');

export function newToken(): string {
  return `scl_${crypto.randomBytes(24).toString('base64url')}`;
}

export async function findUserByName(db: Db, name: string): Promise<User | undefined> {
  const row = await db('users').where({ name }).first();
  return row ? toUser(row) : undefined;
}

export async function countUsers(db: Db): Promise<number> {
  const row = await db('users').count({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

export async function createUser(db: Db, name: string, options: { email?: string; admin?: boolean } = {}): Promise<User> {
  const [id] = await db('users').insert({ name, email: options.email ?? null, admin: options.admin ?? false, created_at: now() });
  return { id: Number(id), name, email: options.email ?? null, admin: options.admin ?? false };
}

/** Stores a token (given, or fresh) for the user and returns its plaintext. */
export async function createToken(db: Db, userId: number, name: string, plaintext = newToken()): Promise<string> {
  await db('tokens').insert({ user_id: userId, name, hash: sha256(plaintext), created_at: now() });
  return plaintext;
}

export async function principalForToken(db: Db, plaintext: string): Promise<Principal | undefined> {
  const row = await db('tokens')
    .join('users', 'users.id', 'tokens.user_id')
    .where('tokens.hash', sha256(plaintext))
    .select('users.*', 'tokens.name as token_name', 'tokens.expires_at', 'tokens.id as token_id')
    .first();
  if (!row) return undefined;
  if (row.expires_at && row.expires_at < now()) return undefined;
  return { user: toUser(row), tokenName: row.token_name };
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
    .where('sessions.hash', sha256(id)).where('sessions.expires_at', '>', now())
    .select('users.*', 'sessions.csrf').first();
  return row ? { user: toUser(row), csrf: row.csrf } : undefined;
}

export async function deleteSession(db: Db, id: string): Promise<void> {
  await db('sessions').where({ hash: sha256(id) }).delete();
}

function toUser(row: { id: number; name: string; email: string | null; admin: number | boolean }): User {
  return { id: row.id, name: row.name, email: row.email, admin: Boolean(row.admin) };
}
