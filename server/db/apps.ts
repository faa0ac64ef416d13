// Apps and their config vars.
import { now, type Db } from './knex.ts';
import { open, seal } from './sealed.ts';

export type Formation = Record<string, number>;
export interface AppRow {
  id: number; name: string; cluster_id: number; formation: Formation; created_by: string; created_at: string;
  /** Index of the app's pair of unix uids in SCALARIUM_APP_UIDS (server/sandbox/identities.ts). */
  uid_index: number;
  /** The branch whose pushes deploy the app; null until its first push (server/core/deploy-branch.ts). */
  deploy_branch: string | null;
}

export async function listApps(db: Db): Promise<AppRow[]> {
  return (await db('apps').orderBy('name')).map(toApp);
}

export async function findApp(db: Db, name: string): Promise<AppRow | undefined> {
  const row = await db('apps').where({ name }).first();
  return row ? toApp(row) : undefined;
}

/**
 * Creates the app with the next uid index. Indexes of deleted apps are never given out again: files
 * an old app left on some instance must not become a new tenant's.
 */
export async function insertApp(db: Db, name: string, clusterId: number, createdBy: string): Promise<AppRow> {
  return db.transaction(async (trx) => {
    // A write first: SQLite lets a transaction that starts with a read fail at once (SQLITE_BUSY)
    // when another connection writes; one that starts with a write waits its busy timeout.
    await trx('settings').insert({ key: 'next_uid_index', value: '0' }).onConflict('key').ignore();
    const counter = await trx('settings').where({ key: 'next_uid_index' }).first('value');
    const highest = await trx('apps').max({ max: 'uid_index' }).first();
    const uidIndex = Math.max(Number(counter?.value ?? 0), Number(highest?.max ?? -1) + 1);
    await trx('settings').insert({ key: 'next_uid_index', value: String(uidIndex + 1) }).onConflict('key').merge();
    const row = { name, cluster_id: clusterId, formation: '{}', created_by: createdBy, created_at: now(), uid_index: uidIndex, deploy_branch: null };
    const [id] = await trx('apps').insert(row);
    return toApp({ ...row, id: Number(id) });
  });
}

export async function findAppById(db: Db, id: number): Promise<AppRow | undefined> {
  const row = await db('apps').where({ id }).first();
  return row ? toApp(row) : undefined;
}

/** Records the deploy branch; with `onlyIfUnset`, only when none is recorded yet (the first push decides). */
export async function setDeployBranch(db: Db, id: number, branch: string, onlyIfUnset = false): Promise<void> {
  const query = db('apps').where({ id });
  if (onlyIfUnset) query.whereNull('deploy_branch');
  await query.update({ deploy_branch: branch });
}

export async function deleteApp(db: Db, id: number): Promise<void> {
  await db('apps').where({ id }).delete();
}

export async function setFormation(db: Db, id: number, formation: Formation): Promise<void> {
  await db('apps').where({ id }).update({ formation: JSON.stringify(formation) });
}

/** Config values are sealed (AES-256-GCM) and bound to their app and key. */
const configAad = (appId: number, key: string) => `config:${appId}:${key}`;

export async function getConfig(db: Db, appId: number): Promise<Record<string, string>> {
  const rows = await db('config_vars').where({ app_id: appId }).orderBy('key');
  return Object.fromEntries(rows.map((r) => [r.key, open(db, r.value, configAad(appId, r.key))]));
}

/** Applies a change (`null` unsets) in one transaction and returns the resulting config. */
export async function changeConfig(db: Db, appId: number, change: Record<string, string | null>): Promise<Record<string, string>> {
  const sealed = Object.entries(change).map(([key, value]) => [key, value === null ? null : seal(db, value, configAad(appId, key))] as const);
  await db.transaction(async (trx) => {
    for (const [key, value] of sealed) {
      await trx('config_vars').where({ app_id: appId, key }).delete();
      if (value !== null) await trx('config_vars').insert({ app_id: appId, key, value });
    }
  });
  return getConfig(db, appId);
}

/** Makes the app's config exactly `config` (a release's snapshot); pass a transaction to make it part of one. */
export async function replaceConfig(db: Db, appId: number, config: Record<string, string>): Promise<void> {
  await db('config_vars').where({ app_id: appId }).delete();
  const rows = Object.entries(config).map(([key, value]) => ({ app_id: appId, key, value: seal(db, value, configAad(appId, key)) }));
  if (rows.length) await db('config_vars').insert(rows);
}

/** Re-seals every config value with the box's current key (key rotation, or values stored in plaintext before). */
export async function resealConfig(db: Db, reseal: (value: string, aad: string) => string): Promise<number> {
  const rows = await db('config_vars').select('app_id', 'key', 'value');
  await db.transaction(async (trx) => {
    for (const r of rows) {
      await trx('config_vars').where({ app_id: r.app_id, key: r.key }).update({ value: reseal(r.value, configAad(r.app_id, r.key)) });
    }
  });
  return rows.length;
}

function toApp(row: Omit<AppRow, 'formation'> & { formation: string }): AppRow {
  return { ...row, formation: JSON.parse(row.formation) as Formation };
}
