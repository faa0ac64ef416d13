// One knex instance per server. SQLite by default (WAL so readers never block the writer, a busy
// timeout so concurrent writers wait instead of failing); Postgres when DATABASE_URL says so.
// With SQLite a transaction that reads before it writes can fail with SQLITE_BUSY when another
// process wrote meanwhile (the busy timeout does not apply to the upgrade): begin each transaction
// with its write, as insertApp and the locks do.
import knexFactory, { type Knex } from 'knex';
import path from 'node:path';
import { migrations } from './migrations/index.ts';

export type Db = Knex;

export async function openDatabase(dataDir: string, databaseUrl = process.env.DATABASE_URL): Promise<Db> {
  const db = databaseUrl?.startsWith('postgres')
    ? knexFactory({ client: 'pg', connection: databaseUrl, pool: { min: 0, max: 10 } })
    : knexFactory({
        client: 'sqlite3',
        connection: { filename: path.join(dataDir, 'scalarium.sqlite') },
        useNullAsDefault: true,
        pool: {
          min: 1,
          max: 1,
          afterCreate(conn: SqliteConnection, done: (err: Error | null, conn: unknown) => void) {
            conn.serialize(() => {
              conn.run('PRAGMA journal_mode = WAL');
              conn.run('PRAGMA busy_timeout = 5000');
              conn.run('PRAGMA synchronous = NORMAL');
              conn.run('PRAGMA foreign_keys = ON', (err: Error | null) => done(err, conn));
            });
          },
        },
      });
  await db.migrate.latest({ migrationSource: migrations });
  return db;
}

interface SqliteConnection {
  serialize(fn: () => void): void;
  run(sql: string, cb?: (err: Error | null) => void): void;
}

export const now = (): string => new Date().toISOString();
