import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('clusters', (t) => {
    // Provider settings as JSON (region, endpoint, image, instance type…); credentials in it are sealed.
    t.text('settings').notNullable().defaultTo('{}');
  });
  await db.schema.createTable('roles', (t) => {
    t.increments('id');
    t.integer('cluster_id').notNullable().references('clusters.id').onDelete('CASCADE');
    t.string('name', 64).notNullable();
    t.integer('count').notNullable();
    t.string('created_at').notNullable();
    t.unique(['cluster_id', 'name']);
  });
  await db.schema.alterTable('instances', (t) => {
    t.string('failure', 1000);
    t.string('launched_at');
  });
  await db.schema.createTable('event_runs', (t) => {
    t.increments('id');
    t.integer('cluster_id').notNullable().references('clusters.id').onDelete('CASCADE');
    t.string('instance_id', 64);
    t.string('event', 16).notNullable();
    t.string('app', 64);
    t.string('status', 16).notNullable(); // running | succeeded | failed | superseded
    t.text('output');
    t.integer('duration_ms');
    t.string('reason', 1000);
    t.string('started_at').notNullable();
    t.string('finished_at');
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('event_runs');
  await db.schema.alterTable('instances', (t) => {
    t.dropColumn('failure');
    t.dropColumn('launched_at');
  });
  await db.schema.dropTableIfExists('roles');
  await db.schema.alterTable('clusters', (t) => t.dropColumn('settings'));
}
