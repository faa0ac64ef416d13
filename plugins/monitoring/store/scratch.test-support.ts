// For the store's tests: a MetricStore on a fresh SQLite database (core's, with the plugin's
// migrations) whose clock says `now`; the database and its folder go when `run` ends.
import fs from 'node:fs';
import { openDatabase, type Db } from '../../../server/db/knex.ts';
import { migrationSource } from '../../../server/db/migrations/index.ts';
import { serverDirs } from '../../../test/helpers/dirs.ts';
import { MONITORING_MIGRATIONS } from '../migrations/index.ts';
import { MetricStore } from './metric-store.ts';

/** The plugin's migrations as its tests run them up and down. */
export const MIGRATIONS = { migrationSource: migrationSource(MONITORING_MIGRATIONS), tableName: 'knex_migrations_monitoring' };

export async function withStore(now: number, run: (store: MetricStore, db: Db) => Promise<void>): Promise<void> {
  const dirs = serverDirs('scalarium-metric-store-');
  let db: Db | undefined;
  try {
    fs.mkdirSync(dirs.dataDir, { mode: 0o700 });
    db = await openDatabase(dirs.dataDir, '');
    await db.migrate.latest(MIGRATIONS);
    await run(new MetricStore(db, { clock: () => now }), db);
  } finally {
    await db?.destroy();
    dirs.remove();
  }
}
