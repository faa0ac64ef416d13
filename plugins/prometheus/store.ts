// The size of core's database, for scalarium_database_bytes: pages × page size on SQLite, the
// database's size on Postgres.
import type { Db } from '../../server/plugin-api.ts';

export async function databaseBytes(db: Db): Promise<number | undefined> {
  const client = String(db.client.config.client);
  if (/sqlite/.test(client)) {
    const [pages] = (await db.raw('PRAGMA page_count')) as Array<{ page_count: number }>;
    const [size] = (await db.raw('PRAGMA page_size')) as Array<{ page_size: number }>;
    return pages && size ? pages.page_count * size.page_size : undefined;
  }
  if (/^(pg|postgres)/.test(client)) {
    const answer = (await db.raw('select pg_database_size(current_database()) as bytes')) as { rows: Array<{ bytes: string }> };
    return Number(answer.rows[0]?.bytes);
  }
  return undefined;
}

/** Builds by status (running, succeeded, failed), as the builds table holds them. */
export async function buildCounts(db: Db): Promise<Array<{ status: string; n: number }>> {
  const rows = (await db('builds').select('status').count({ n: '*' }).groupBy('status')) as Array<{ status: string; n: number | string }>;
  return rows.map((r) => ({ status: r.status, n: Number(r.n) }));
}

/** When a deployment started (ISO), to time it when its outcome arrives. */
export async function deploymentStartedAt(db: Db, id: number): Promise<string | undefined> {
  const row = (await db('deployments').where({ id }).first('started_at')) as { started_at: string } | undefined;
  return row?.started_at;
}
