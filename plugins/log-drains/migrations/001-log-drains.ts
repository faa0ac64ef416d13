// One row per drain, of an app or of a cluster (every app of it). The URL is sealed with the server's
// key (it may hold credentials); what is shown is its redacted form. A drain goes with its app or
// cluster (cascade).
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('log_drains', (t) => {
    t.increments('id');
    /** d.<uuid>: names the drain in the API and CLI, and is its Logplex-Drain-Token. */
    t.string('token', 64).notNullable().unique();
    t.integer('app_id').nullable().references('apps.id').onDelete('CASCADE');
    t.integer('cluster_id').nullable().references('clusters.id').onDelete('CASCADE');
    t.string('kind', 16).notNullable();
    t.string('format', 16).notNullable();
    t.text('url_sealed').notNullable();
    t.text('url_shown').notNullable();
    t.string('created_by', 64).notNullable();
    t.string('created_at').notNullable();
    t.index(['app_id']);
    t.index(['cluster_id']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('log_drains');
}
