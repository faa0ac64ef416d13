// One row per locked app; it goes with the app (cascade) and with an unlock.
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('deploy_locks', (t) => {
    t.integer('app_id').primary().references('apps.id').onDelete('CASCADE');
    t.string('reason', 200).notNullable();
    t.string('locked_by', 64).notNullable();
    t.string('locked_at').notNullable();
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('deploy_locks');
}
