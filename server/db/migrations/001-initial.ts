import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('users', (t) => {
    t.increments('id');
    t.string('name', 64).notNullable().unique();
    t.string('email', 254);
    t.boolean('admin').notNullable().defaultTo(false);
    t.string('created_at').notNullable();
  });
  await db.schema.createTable('tokens', (t) => {
    t.increments('id');
    t.integer('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.string('name', 64).notNullable();
    t.string('hash', 64).notNullable().unique();
    t.string('created_at').notNullable();
    t.string('last_used_at');
    t.string('expires_at');
    t.unique(['user_id', 'name']);
  });
  await db.schema.createTable('sessions', (t) => {
    t.string('hash', 64).primary();
    t.integer('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.string('csrf', 64).notNullable();
    t.string('created_at').notNullable();
    t.string('expires_at').notNullable();
  });
  await db.schema.createTable('clusters', (t) => {
    t.increments('id');
    t.string('name', 64).notNullable().unique();
    t.string('provider', 32).notNullable();
    t.string('created_at').notNullable();
  });
  await db.schema.createTable('instances', (t) => {
    t.string('id', 64).primary();
    t.integer('cluster_id').notNullable().references('clusters.id');
    t.string('role', 64).notNullable();
    t.string('state', 16).notNullable();
    t.string('token_hash', 64).notNullable();
    t.string('address', 255);
    t.integer('port');
    t.integer('pid');
    t.string('provider_ref', 255);
    t.string('last_seen_at');
    t.string('created_at').notNullable();
  });
  await db.schema.createTable('apps', (t) => {
    t.increments('id');
    t.string('name', 64).notNullable().unique();
    t.integer('cluster_id').notNullable().references('clusters.id');
    t.text('formation').notNullable();
    t.string('created_by', 64).notNullable();
    t.string('created_at').notNullable();
  });
  await db.schema.createTable('config_vars', (t) => {
    t.integer('app_id').notNullable().references('apps.id').onDelete('CASCADE');
    t.string('key', 128).notNullable();
    t.text('value').notNullable();
    t.primary(['app_id', 'key']);
  });
  await db.schema.createTable('builds', (t) => {
    t.increments('id');
    t.integer('app_id').notNullable().references('apps.id').onDelete('CASCADE');
    t.string('commit', 64).notNullable();
    t.string('status', 16).notNullable(); // running | succeeded | failed
    t.string('buildpack', 255);
    t.string('slug', 64);
    t.text('process_types');
    t.text('timings');
    t.string('created_by', 64).notNullable();
    t.string('started_at').notNullable();
    t.string('finished_at');
  });
  await db.schema.createTable('releases', (t) => {
    t.increments('id');
    t.integer('app_id').notNullable().references('apps.id').onDelete('CASCADE');
    t.integer('version').notNullable();
    t.string('slug', 64).notNullable();
    t.string('commit', 64);
    t.integer('build_id');
    t.text('config').notNullable();
    t.text('process_types').notNullable();
    t.string('description', 255).notNullable();
    t.text('timings');
    t.string('created_by', 64).notNullable();
    t.string('created_at').notNullable();
    t.unique(['app_id', 'version']);
  });
  await db.schema.createTable('deployments', (t) => {
    t.increments('id');
    t.integer('app_id').notNullable().references('apps.id').onDelete('CASCADE');
    t.integer('release_version').notNullable();
    t.string('status', 16).notNullable(); // running | succeeded | failed
    t.string('reason', 1000);
    t.text('steps');
    t.string('owner', 128).notNullable();
    t.string('started_at').notNullable();
    t.string('finished_at');
  });
  await db.schema.createTable('processes', (t) => {
    t.string('id', 64).primary();
    t.integer('app_id').notNullable().references('apps.id').onDelete('CASCADE');
    t.string('instance_id', 64).notNullable();
    t.string('type', 32).notNullable();
    t.integer('release_version').notNullable();
    t.string('state', 16).notNullable();
    t.boolean('routed').notNullable().defaultTo(false);
    t.integer('port');
    t.integer('restarts').notNullable().defaultTo(0);
    t.string('started_at');
    t.string('created_at').notNullable();
  });
  await db.schema.createTable('locks', (t) => {
    t.string('name', 128).primary();
    t.string('owner', 128).notNullable();
    t.string('purpose', 255).notNullable();
    t.string('expires_at').notNullable();
  });
  await db.schema.createTable('audit', (t) => {
    t.increments('id');
    t.string('at').notNullable();
    t.string('actor', 64).notNullable();
    t.string('source', 64);
    t.string('action', 64).notNullable();
    t.string('target', 255);
    t.string('outcome', 16).notNullable();
    t.text('detail');
  });
  await db.schema.createTable('settings', (t) => {
    t.string('key', 64).primary();
    t.text('value').notNullable();
  });
}

export async function down(db: Knex): Promise<void> {
  for (const table of ['settings', 'audit', 'locks', 'processes', 'deployments', 'releases', 'builds', 'config_vars', 'apps', 'instances', 'clusters', 'sessions', 'tokens', 'users']) {
    await db.schema.dropTableIfExists(table);
  }
}
