// Autoscaling's tables: one policy per target (a cluster's role, or an app's process type), its
// schedules, and every decision (taken or, in a dry run, only written). They go with their target.
import type { Knex } from 'knex';

function target(t: Knex.CreateTableBuilder): void {
  t.integer('cluster_id').references('clusters.id').onDelete('CASCADE');
  t.string('role', 64);
  t.integer('app_id').references('apps.id').onDelete('CASCADE');
  t.string('process_type', 64);
}

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('autoscale_policies', (t) => {
    t.increments('id');
    target(t);
    t.string('mode', 10).notNullable();
    t.string('metric', 20).notNullable();
    t.integer('min').notNullable();
    t.integer('max').notNullable();
    t.float('above');
    t.float('below');
    t.float('target');
    t.integer('up_for_ms').notNullable();
    t.integer('down_for_ms').notNullable();
    t.integer('step').notNullable();
    t.integer('up_cooldown_ms').notNullable();
    t.integer('down_cooldown_ms').notNullable();
    t.boolean('dry_run').notNullable();
    t.string('updated_by', 64).notNullable();
    t.string('updated_at').notNullable();
    t.unique(['cluster_id', 'role']);
    t.unique(['app_id', 'process_type']);
  });
  await db.schema.createTable('autoscale_schedules', (t) => {
    t.increments('id');
    target(t);
    t.integer('count').notNullable();
    t.string('cron', 100).notNullable();
    t.string('tz', 64).notNullable();
    t.string('created_by', 64).notNullable();
    t.string('created_at').notNullable();
  });
  await db.schema.createTable('autoscale_events', (t) => {
    t.increments('id');
    target(t);
    t.string('at').notNullable();
    t.string('source', 10).notNullable();
    t.integer('from').notNullable();
    t.integer('to').notNullable();
    t.string('reason', 500).notNullable();
    t.text('inputs').notNullable();
    t.boolean('dry_run').notNullable();
    t.index(['cluster_id', 'id']);
    t.index(['app_id', 'id']);
  });
}

export async function down(db: Knex): Promise<void> {
  for (const table of ['autoscale_events', 'autoscale_schedules', 'autoscale_policies']) await db.schema.dropTableIfExists(table);
}
