// What admins and users do to identities, shared by the API routes and the admin UI. Every change
// is validated, audited, and takes effect on the next request.
import type { z } from 'zod';
import {
  ScalariumError, describeValue, audit, consumeInvite, countEnabledAdmins, createInvite, createToken, createUser, deleteToken, deleteUser, findInvite, findToken, findUserByName, findUserWithPassword, setDisabled, setPassword, findApp, findCluster, listClusters, configureCluster, parseBody, type Scalarium, type Principal, type Scope, type User,
} from '../../server/plugin-api.ts';
import { deleteGrant, upsertGrant } from './db/grants.ts';
import { addKey, deleteKey, listKeys } from './db/ssh-keys.ts';
import { checkPasswordPolicy, hashPassword, verifyPassword } from './passwords.ts';
import { grantBody, keyBody, newUserBody, revokeBody, scopeOf, tokenBody } from './bodies.ts';
import { loginFailuresSince, recordLoginFailure } from './db/login-failures.ts';
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

/** POST /api/users and the users page's form: `body` is parsed here (newUserBody). */
export async function createUserWithInvite(scalarium: Scalarium, actor: Principal, body: unknown) {
  const { name, email, admin } = parseBody(newUserBody, body);
  if (await findUserByName(scalarium.db, name)) throw new ScalariumError('user_exists', { user: name });
  const user = await createUser(scalarium.db, name, { email: email || null, admin: admin === true });
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

async function assertScopeExists(scalarium: Scalarium, scope: Scope): Promise<void> {
  if (scope.kind === 'app' && !(await findApp(scalarium.db, scope.name))) throw new ScalariumError('app_not_found', { app: scope.name });
  if (scope.kind === 'cluster' && !(await findCluster(scalarium.db, scope.name))) throw new ScalariumError('cluster_not_found', { cluster: scope.name });
}

/**
 * Grants are managed by admins and by managers of the scope: the route parses the body (grantBody)
 * to know the scope before it authorises, and hands it on.
 */
export async function grant(scalarium: Scalarium, actor: Principal, body: z.output<typeof grantBody>) {
  const scope = scopeOf(body);
  await assertScopeExists(scalarium, scope);
  const user = await requireUser(scalarium, body.user);
  const { role } = body;
  const ssh = body.ssh === true;
  const sudo = body.sudo === true;
  await upsertGrant(scalarium.db, { userId: user.id, scope, role, ssh, sudo });
  await audit(scalarium, actor, 'access.grant', `${user.name} on ${scope.kind} ${scope.name}`, { detail: { role, ssh, sudo } });
  if (scope.kind === 'cluster') await reconfigure(scalarium, scope.name, `access granted to ${user.name}`);
  return { user: user.name, scope, role, ssh, sudo };
}

export async function revoke(scalarium: Scalarium, actor: Principal, body: z.output<typeof revokeBody>): Promise<void> {
  const scope = scopeOf(body);
  const user = await requireUser(scalarium, body.user);
  if (!(await deleteGrant(scalarium.db, user.id, scope))) throw new ScalariumError('not_found');
  await audit(scalarium, actor, 'access.revoke', `${user.name} on ${scope.kind} ${scope.name}`);
  if (scope.kind === 'cluster') await reconfigure(scalarium, scope.name, `access revoked from ${user.name}`);
}

/** POST /api/tokens and the account page's form: `raw` is parsed here (tokenBody). */
export async function createApiToken(scalarium: Scalarium, actor: Principal, raw: unknown) {
  const body = parseBody(tokenBody, raw);
  const { name } = body;
  const scope: Scope | undefined = body.app === undefined && body.cluster === undefined ? undefined : scopeOf(body);
  if (scope) {
    // Those who may not read the app or cluster learn nothing about whether it exists.
    if (!(await decide(scalarium.db, actor, 'read', { kind: scope.kind, name: scope.name }))) {
      throw scope.kind === 'app' ? new ScalariumError('app_not_found', { app: scope.name }) : new ScalariumError('cluster_not_found', { cluster: scope.name });
    }
    await assertScopeExists(scalarium, scope);
  }
  const role = body.role ?? undefined;
  const expiresAt = body.expires;
  if (await findToken(scalarium.db, actor.user.id, name)) throw new ScalariumError('token_exists', { name });
  const token = await createToken(scalarium.db, actor.user.id, { name, scope, role, expiresAt });
  await audit(scalarium, actor, 'token.create', name, { detail: { scope: scope ? `${scope.kind} ${scope.name}` : 'all', role: role ?? 'user', expiresAt } });
  return { name, token, scope: scope ?? null, role: role ?? null, expiresAt: expiresAt ?? null };
}

export async function revokeApiToken(scalarium: Scalarium, actor: Principal, name: string): Promise<void> {
  if (!(await deleteToken(scalarium.db, actor.user.id, name))) throw new ScalariumError('token_not_found', { name });
  await audit(scalarium, actor, 'token.revoke', name);
}

/** POST /api/keys and the account page's form: the key line is parsed here (keyBody). */
export async function addSshKey(scalarium: Scalarium, actor: Principal, publicKey: unknown) {
  const parsed = parseBody(keyBody, { publicKey }).publicKey;
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

