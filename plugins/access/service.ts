// What admins and users do to identities, shared by the API routes and the admin UI. Every change
// is validated, audited, and takes effect on the next request.
import type { Scalarium } from '../../server/core/scalarium.ts';
import { ScalariumError } from '../../server/core/errors.ts';
import { assertName, describeValue } from '../../server/core/names.ts';
import { audit } from '../../server/core/audit.ts';
import { checkPasswordPolicy, hashPassword, verifyPassword } from './passwords.ts';
import {
  consumeInvite, countEnabledAdmins, createInvite, createToken, createUser, deleteToken, deleteUser, findInvite, findToken,
  findUserByName, findUserWithPassword, setDisabled, setPassword, ROLES, type Principal, type Role, type Scope, type User,
} from '../../server/db/identity.ts';
import { deleteGrant, upsertGrant } from '../../server/db/grants.ts';
import { addKey, deleteKey, listKeys, parsePublicKey } from '../../server/db/ssh-keys.ts';
import { findApp } from '../../server/db/apps.ts';
import { findCluster, listClusters } from '../../server/db/instances.ts';
import { loginFailuresSince, recordLoginFailure } from './db/login-failures.ts';
import { configureCluster } from '../../server/core/configure.ts';
import { decide } from './policy.ts';

const INVITE_TTL_MS = 7 * 86_400_000;
const MAX_FAILURES_PER_HOUR = 100;
const HOUR = 3_600_000;

export function inviteUrl(scalarium: Scalarium, token: string): string {
  return `${scalarium.baseUrl}/invite/${token}`;
}

export async function requireUser(scalarium: Scalarium, name: unknown): Promise<User> {
  const user = typeof name === 'string' ? await findUserByName(scalarium.db, name) : undefined;
  if (!user) throw new ScalariumError('user_not_found', { user: describeValue(name) });
  return user;
}

function assertEmail(value: unknown): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string' || value.length > 254 || !/^[^\s@<>"'`]+@[^\s@<>"'`]+\.[^\s@<>"'`]+$/.test(value)) {
    throw new ScalariumError('invalid_body', { reason: 'email must look like name@example.org' });
  }
  return value;
}

export async function createUserWithInvite(scalarium: Scalarium, actor: Principal, body: { name?: unknown; email?: unknown; admin?: unknown }) {
  const name = assertName('user', body.name);
  const email = assertEmail(body.email);
  if (await findUserByName(scalarium.db, name)) throw new ScalariumError('user_exists', { user: name });
  const user = await createUser(scalarium.db, name, { email, admin: body.admin === true });
  const invite = await createInvite(scalarium.db, user.id, INVITE_TTL_MS);
  await audit(scalarium, actor, 'user.create', name, { detail: { admin: user.admin } });
  return { user, inviteUrl: inviteUrl(scalarium, invite) };
}

export async function reinvite(scalarium: Scalarium, actor: Principal, name: unknown): Promise<string> {
  const user = await requireUser(scalarium, name);
  const invite = await createInvite(scalarium.db, user.id, INVITE_TTL_MS);
  await audit(scalarium, actor, 'user.invite', user.name);
  return inviteUrl(scalarium, invite);
}

/** The invite page: choose a password; the link is then used up. */
export async function acceptInvite(scalarium: Scalarium, token: string, password: unknown, source?: string): Promise<User> {
  const user = await findInvite(scalarium.db, token);
  if (!user) throw new ScalariumError('invite_invalid');
  const chosen = checkPasswordPolicy(password, [user.name, user.email ?? '']);
  const hash = await hashPassword(chosen);
  if (!(await consumeInvite(scalarium.db, token))) throw new ScalariumError('invite_invalid');
  await setPassword(scalarium.db, user.id, hash);
  await audit(scalarium, user.name, 'user.password', user.name, { source });
  return user;
}

export async function setUserDisabled(scalarium: Scalarium, actor: Principal, name: unknown, disabled: boolean): Promise<User> {
  const user = await requireUser(scalarium, name);
  if (disabled && user.admin && !user.disabled && (await countEnabledAdmins(scalarium.db)) <= 1) throw new ScalariumError('last_admin');
  await setDisabled(scalarium.db, user.id, disabled);
  await audit(scalarium, actor, disabled ? 'user.disable' : 'user.enable', user.name);
  await reconfigureAll(scalarium, `user ${user.name} ${disabled ? 'disabled' : 'enabled'}`);
  return { ...user, disabled };
}

export async function destroyUser(scalarium: Scalarium, actor: Principal, name: unknown): Promise<void> {
  const user = await requireUser(scalarium, name);
  if (user.admin && !user.disabled && (await countEnabledAdmins(scalarium.db)) <= 1) throw new ScalariumError('last_admin');
  await deleteUser(scalarium.db, user.id);
  await audit(scalarium, actor, 'user.delete', user.name);
  await reconfigureAll(scalarium, `user ${user.name} deleted`);
}

/** Password login for the UI, throttled per account and per address. */
export async function checkPasswordLogin(scalarium: Scalarium, name: unknown, password: unknown, source: string, trustedDevice: (user: User) => boolean): Promise<User> {
  const account = typeof name === 'string' ? name.slice(0, 64) : '';
  if ((await loginFailuresSince(scalarium.db, { ip: source }, HOUR)) >= MAX_FAILURES_PER_HOUR) {
    await audit(scalarium, account || '?', 'ui.login', account, { outcome: 'denied', source, detail: { reason: 'throttled (address)' } });
    throw new ScalariumError('too_many_attempts');
  }
  const found = account ? await findUserWithPassword(scalarium.db, account) : undefined;
  // A guessed-at account is capped at 100 checks an hour, except from a browser its user has logged
  // in with before (a signed device cookie): the attacker is throttled, the real user is not.
  const accountFailures = await loginFailuresSince(scalarium.db, { account }, HOUR);
  if (accountFailures >= MAX_FAILURES_PER_HOUR && !(found && trustedDevice(found.user))) {
    await audit(scalarium, account || '?', 'ui.login', account, { outcome: 'denied', source, detail: { reason: 'throttled (account)' } });
    throw new ScalariumError('too_many_attempts');
  }
  const ok = typeof password === 'string' && password.length <= 1024 && (await verifyPassword(password, found?.passwordHash));
  if (!ok || !found || found.user.disabled) {
    await recordLoginFailure(scalarium.db, account || '?', source);
    await audit(scalarium, account || '?', 'ui.login', account, { outcome: 'denied', source });
    throw new ScalariumError('unauthenticated');
  }
  await audit(scalarium, found.user.name, 'ui.login', found.user.name, { source });
  return found.user;
}

function parseScope(body: { app?: unknown; cluster?: unknown }): Scope {
  if ((body.app === undefined) === (body.cluster === undefined)) {
    throw new ScalariumError('invalid_body', { reason: 'give exactly one of "app" or "cluster"' });
  }
  return body.app !== undefined ? { kind: 'app', name: assertName('app', body.app) } : { kind: 'cluster', name: assertName('cluster', body.cluster) };
}

async function assertScopeExists(scalarium: Scalarium, scope: Scope): Promise<void> {
  if (scope.kind === 'app' && !(await findApp(scalarium.db, scope.name))) throw new ScalariumError('app_not_found', { app: scope.name });
  if (scope.kind === 'cluster' && !(await findCluster(scalarium.db, scope.name))) throw new ScalariumError('cluster_not_found', { cluster: scope.name });
}

export function parseRole(value: unknown): Role {
  if (typeof value !== 'string' || !(ROLES as readonly string[]).includes(value)) throw new ScalariumError('invalid_role', { value: describeValue(value) });
  return value as Role;
}

/** Grants are managed by admins and by managers of the scope (checked by the route's authorisation). */
export function grantScope(body: { app?: unknown; cluster?: unknown }): Scope {
  return parseScope(body);
}

export async function grant(scalarium: Scalarium, actor: Principal, body: { user?: unknown; app?: unknown; cluster?: unknown; role?: unknown; ssh?: unknown; sudo?: unknown }) {
  const scope = parseScope(body);
  await assertScopeExists(scalarium, scope);
  const user = await requireUser(scalarium, body.user);
  const role = parseRole(body.role);
  const ssh = body.ssh === true;
  const sudo = body.sudo === true;
  if ((ssh || sudo) && scope.kind !== 'cluster') throw new ScalariumError('invalid_body', { reason: 'ssh and sudo are granted on a cluster (its instances)' });
  if (sudo && !ssh) throw new ScalariumError('invalid_body', { reason: 'sudo needs ssh' });
  await upsertGrant(scalarium.db, { userId: user.id, scope, role, ssh, sudo });
  await audit(scalarium, actor, 'access.grant', `${user.name} on ${scope.kind} ${scope.name}`, { detail: { role, ssh, sudo } });
  if (scope.kind === 'cluster') await reconfigure(scalarium, scope.name, `access granted to ${user.name}`);
  return { user: user.name, scope, role, ssh, sudo };
}

export async function revoke(scalarium: Scalarium, actor: Principal, body: { user?: unknown; app?: unknown; cluster?: unknown }): Promise<void> {
  const scope = parseScope(body);
  const user = await requireUser(scalarium, body.user);
  if (!(await deleteGrant(scalarium.db, user.id, scope))) throw new ScalariumError('not_found');
  await audit(scalarium, actor, 'access.revoke', `${user.name} on ${scope.kind} ${scope.name}`);
  if (scope.kind === 'cluster') await reconfigure(scalarium, scope.name, `access revoked from ${user.name}`);
}

export function parseExpiry(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new ScalariumError('invalid_expiry', { value: describeValue(value) });
  const text = value;
  const relative = /^(\d{1,4})([dh])$/.exec(text);
  const at = relative ? Date.now() + Number(relative[1]) * (relative[2] === 'd' ? 86_400_000 : 3_600_000) : Date.parse(text);
  if (!Number.isFinite(at) || at <= Date.now() || at > Date.now() + 3650 * 86_400_000) throw new ScalariumError('invalid_expiry', { value: text });
  return new Date(at).toISOString();
}

export async function createApiToken(scalarium: Scalarium, actor: Principal, body: { name?: unknown; app?: unknown; cluster?: unknown; role?: unknown; expires?: unknown }) {
  const name = assertName('token', body.name);
  const scope = body.app === undefined && body.cluster === undefined ? undefined : parseScope(body);
  if (scope) {
    // Those who may not read the app or cluster learn nothing about whether it exists.
    if (!(await decide(scalarium.db, actor, 'read', { kind: scope.kind, name: scope.name }))) {
      throw scope.kind === 'app' ? new ScalariumError('app_not_found', { app: scope.name }) : new ScalariumError('cluster_not_found', { cluster: scope.name });
    }
    await assertScopeExists(scalarium, scope);
  }
  const role = body.role === undefined || body.role === null ? undefined : parseRole(body.role);
  const expiresAt = parseExpiry(body.expires);
  if (await findToken(scalarium.db, actor.user.id, name)) throw new ScalariumError('token_exists', { name });
  const token = await createToken(scalarium.db, actor.user.id, { name, scope, role, expiresAt });
  await audit(scalarium, actor, 'token.create', name, { detail: { scope: scope ? `${scope.kind} ${scope.name}` : 'all', role: role ?? 'user', expiresAt } });
  return { name, token, scope: scope ?? null, role: role ?? null, expiresAt: expiresAt ?? null };
}

export async function revokeApiToken(scalarium: Scalarium, actor: Principal, name: string): Promise<void> {
  if (!(await deleteToken(scalarium.db, actor.user.id, name))) throw new ScalariumError('token_not_found', { name });
  await audit(scalarium, actor, 'token.revoke', name);
}

export async function addSshKey(scalarium: Scalarium, actor: Principal, publicKey: unknown) {
  let parsed;
  try {
    parsed = parsePublicKey(publicKey);
  } catch (error) {
    throw new ScalariumError('invalid_key', { reason: (error as Error).message });
  }
  if ((await listKeys(scalarium.db, actor.user.id)).some((k) => k.fingerprint === parsed.fingerprint)) throw new ScalariumError('key_exists');
  const key = await addKey(scalarium.db, actor.user.id, parsed);
  await audit(scalarium, actor, 'key.add', parsed.fingerprint);
  await reconfigureAll(scalarium, `ssh key added by ${actor.user.name}`);
  return key;
}

export async function removeSshKey(scalarium: Scalarium, actor: Principal, fingerprint: string): Promise<void> {
  if (!(await deleteKey(scalarium.db, actor.user.id, fingerprint))) throw new ScalariumError('key_not_found', { fingerprint });
  await audit(scalarium, actor, 'key.remove', fingerprint);
  await reconfigureAll(scalarium, `ssh key removed by ${actor.user.name}`);
}

/** Instance accounts follow grants and keys through the configure event. */
async function reconfigure(scalarium: Scalarium, clusterName: string, reason: string): Promise<void> {
  const cluster = await findCluster(scalarium.db, clusterName);
  if (cluster) await configureCluster(scalarium, cluster, reason).catch(() => {});
}

async function reconfigureAll(scalarium: Scalarium, reason: string): Promise<void> {
  for (const cluster of await listClusters(scalarium.db)) await configureCluster(scalarium, cluster, reason).catch(() => {});
}

