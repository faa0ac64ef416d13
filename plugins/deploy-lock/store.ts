// The deploy_locks table (migrations/001-deploy-locks.ts).
import type { Db } from '../../server/plugin-api.ts';

export interface DeployLock { reason: string; lockedBy: string; lockedAt: string }

export async function findLock(db: Db, appId: number): Promise<DeployLock | undefined> {
  const row = await db('deploy_locks').where({ app_id: appId }).first();
  return row ? { reason: row.reason, lockedBy: row.locked_by, lockedAt: row.locked_at } : undefined;
}

/** Locks the app, or says why again and by whom if it was locked already. */
export async function putLock(db: Db, appId: number, lock: DeployLock): Promise<void> {
  await db('deploy_locks')
    .insert({ app_id: appId, reason: lock.reason, locked_by: lock.lockedBy, locked_at: lock.lockedAt })
    .onConflict('app_id').merge();
}

/** True if there was a lock to remove. */
export async function removeLock(db: Db, appId: number): Promise<boolean> {
  return (await db('deploy_locks').where({ app_id: appId }).delete()) > 0;
}
