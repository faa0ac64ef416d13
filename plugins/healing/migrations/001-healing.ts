// A cluster's healing policy (a row only once someone changed the defaults) and what healing saw
// and did: suspects, recoveries, replacements, pauses. Both go with their cluster.
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('healing_policies', (t) => {
    t.integer('cluster_id').primary().references('clusters.id').onDelete('CASCADE');
    t.boolean('enabled').notNullable();
    t.boolean('dry_run').notNullable();
    t.integer('suspect_after_ms').notNullable();
    t.integer('replace_after_ms').notNullable();
    t.string('updated_by', 64).notNullable();
    t.string('updated_at').notNullable();
  });
  await db.schema.createTable('healing_events', (t) => {
    t.increments('id');
    t.integer('cluster_id').notNullable().references('clusters.id').onDelete('CASCADE');
    t.string('at').notNullable();
    t.string('instance_id', 100);
    t.string('kind', 20).notNullable();
    t.string('reason', 1000).notNullable();
    t.index(['cluster_id', 'id']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('healing_events');
  await db.schema.dropTableIfExists('healing_policies');
}
