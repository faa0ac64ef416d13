// Grants: a user's role on one app or one cluster, with SSH access (and sudo) to its instances.
import { now, type Db, type Role, type Scope } from '../../../server/plugin-api.ts';

export interface Grant { user: string; userId: number; scope: Scope; role: Role; ssh: boolean; sudo: boolean; createdAt: string }

export async function listGrants(db: Db, filter: { userId?: number; scope?: Scope } = {}): Promise<Grant[]> {
  const q = db('grants').join('users', 'users.id', 'grants.user_id').select('grants.*', 'users.name as user_name')
    .orderBy([{ column: 'grants.scope_kind' }, { column: 'grants.scope_name' }, { column: 'users.name' }]);
  if (filter.userId !== undefined) q.where('grants.user_id', filter.userId);
  if (filter.scope) q.where({ 'grants.scope_kind': filter.scope.kind, 'grants.scope_name': filter.scope.name });
  return (await q).map((r) => ({
    user: r.user_name, userId: r.user_id, scope: { kind: r.scope_kind, name: r.scope_name }, role: r.role,
    ssh: Boolean(r.ssh), sudo: Boolean(r.sudo), createdAt: r.created_at,
  }));
}

/** The roles a user holds on an app and on the app's cluster. */
export async function rolesFor(db: Db, userId: number, scopes: Scope[]): Promise<Role[]> {
  if (!scopes.length) return [];
  const rows = await db('grants').where({ user_id: userId }).andWhere((q) => {
    for (const s of scopes) q.orWhere({ scope_kind: s.kind, scope_name: s.name });
  }).select('role');
  return rows.map((r) => r.role as Role);
}

export async function upsertGrant(db: Db, grant: { userId: number; scope: Scope; role: Role; ssh: boolean; sudo: boolean }): Promise<void> {
  await db.transaction(async (trx) => {
    await trx('grants').where({ user_id: grant.userId, scope_kind: grant.scope.kind, scope_name: grant.scope.name }).delete();
    await trx('grants').insert({
      user_id: grant.userId, scope_kind: grant.scope.kind, scope_name: grant.scope.name, role: grant.role,
      ssh: grant.ssh, sudo: grant.sudo, created_at: now(),
    });
  });
}

export async function deleteGrant(db: Db, userId: number, scope: Scope): Promise<boolean> {
  return (await db('grants').where({ user_id: userId, scope_kind: scope.kind, scope_name: scope.name }).delete()) > 0;
}

/** Grants on an app or cluster go with it (the destroyed hook). */
export async function deleteGrantsOn(db: Db, scope: Scope): Promise<void> {
  await db('grants').where({ scope_kind: scope.kind, scope_name: scope.name }).delete();
}
