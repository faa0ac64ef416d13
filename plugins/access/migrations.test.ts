// The access plugin's tables are its own: core's migrations do not make them, loading the plugin
// does, and a database from before the move (core's 002-access made them) keeps its rows.
import fs from 'node:fs';
import test from 'ava';
import { openDatabase, type Db } from '../../server/db/knex.ts';
import { Scalarium } from '../../server/core/scalarium.ts';
import { loadPlugins } from '../../server/core/plugins.ts';
import type { ServerConfig } from '../../server/core/config.ts';
import type { AgentHub } from '../../server/agent/hub.ts';
import { serverDirs } from '../../test/helpers/dirs.ts';
import { accessPlugin } from './index.ts';
import { listGrants, upsertGrant } from './db/grants.ts';

const TABLES = ['grants', 'ssh_keys', 'login_failures'];

async function withDatabase(run: (db: Db) => Promise<void>): Promise<void> {
  const dirs = serverDirs('scalarium-access-migrations-');
  let db: Db | undefined;
  try {
    fs.mkdirSync(dirs.dataDir, { mode: 0o700 });
    db = await openDatabase(dirs.dataDir, '');
    await run(db);
  } finally {
    await db?.destroy();
    dirs.remove();
  }
}

// Only db, hooks and templates are used while the plugin loads: the config and hub are never read.
const load = (db: Db) => loadPlugins(new Scalarium({} as ServerConfig, db, {} as AgentHub, 'test:1'), [accessPlugin], []);
const tables = async (db: Db) => Promise.all(TABLES.map((name) => db.schema.hasTable(name)));

test('core makes none of the access tables; loading the plugin makes them, and loading it again changes nothing', async (t) => {
  await withDatabase(async (db) => {
    t.deepEqual(await tables(db), [false, false, false]);
    await load(db);
    t.deepEqual(await tables(db), [true, true, true]);
    const [{ id }] = await db('users').insert({ name: 'ann', created_at: new Date().toISOString() }).returning('id');
    await upsertGrant(db, { userId: id, scope: { kind: 'app', name: 'shop' }, role: 'deployer', ssh: false, sudo: false });
    await load(db);
    t.deepEqual((await listGrants(db)).map((g) => `${g.user} ${g.role} ${g.scope.kind} ${g.scope.name}`), ['ann deployer app shop']);
  });
});

test('a database whose grants core made before keeps them when the plugin takes the tables over', async (t) => {
  await withDatabase(async (db) => {
    // As core's 002-access left them.
    await db.schema.createTable('grants', (g) => {
      g.increments('id');
      g.integer('user_id').notNullable().references('users.id').onDelete('CASCADE');
      g.string('scope_kind', 16).notNullable();
      g.string('scope_name', 64).notNullable();
      g.string('role', 16).notNullable();
      g.boolean('ssh').notNullable().defaultTo(false);
      g.boolean('sudo').notNullable().defaultTo(false);
      g.string('created_at').notNullable();
      g.unique(['user_id', 'scope_kind', 'scope_name']);
    });
    const [{ id }] = await db('users').insert({ name: 'bob', created_at: new Date().toISOString() }).returning('id');
    await db('grants').insert({ user_id: id, scope_kind: 'cluster', scope_name: 'prod', role: 'manager', ssh: true, sudo: true, created_at: new Date().toISOString() });
    await load(db);
    t.deepEqual(await tables(db), [true, true, true]);
    t.deepEqual((await listGrants(db)).map((g) => `${g.user} ${g.role} ${g.scope.kind} ${g.scope.name} ssh=${g.ssh} sudo=${g.sudo}`), ['bob manager cluster prod ssh=true sudo=true']);
  });
});
