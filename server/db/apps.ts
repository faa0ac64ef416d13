// Apps and their config vars.
import { now, type Db } from './knex.ts';

export type Formation = Record<string, number>;
export interface AppRow { id: number; name: string; cluster_id: number; formation: Formation; created_by: string; created_at: string }

export async function listApps(db: Db): Promise<AppRow[]> {
  return (await db('apps').orderBy('name')).map(toApp);
}

export async function findApp(db: Db, name: string): Promise<AppRow | undefined> {
  const row = await db('apps').where({ name }).first();
  return row ? toApp(row) : undefined;
}

export async function insertApp(db: Db, name: string, clusterId: number, createdBy: string): Promise<AppRow> {
  const row = { name, cluster_id: clusterId, formation: '{}', created_by: createdBy, created_at: now() };
  const [id] = await db('apps').insert(row);
  return toApp({ ...row, id: Number(id) });
}

export async function deleteApp(db: Db, id: number): Promise<void> {
  await db('apps').where({ id }).delete();
}

export async function setFormation(db: Db, id: number, formation: Formation): Promise<void> {
  await db('apps').where({ id }).update({ formation: JSON.stringify(formation) });
}

export async function getConfig(db: Db, appId: number): Promise<Record<string, string>> {
  const rows = await db('config_vars').where({ app_id: appId }).orderBy('key');
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}

/** Applies a change (`null` unsets) in one transaction and returns the resulting config. */
export async function changeConfig(db: Db, appId: number, change: Record<string, string | null>): Promise<Record<string, string>> {
  await db.transaction(async (trx) => {
    for (const [key, value] of Object.entries(change)) {
      await trx('config_vars').where({ app_id: appId, key }).delete();
      if (value !== null) await trx('config_vars').insert({ app_id: appId, key, value });
    }
  });
  return getConfig(db, appId);
}

function toApp(row: Omit<AppRow, 'formation'> & { formation: string }): AppRow {
  return { ...row, formation: JSON.parse(row.formation) as Formation };
}
