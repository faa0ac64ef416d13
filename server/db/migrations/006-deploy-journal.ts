import type { Knex } from 'knex';

// The deployment journal: one row per change that makes a release, written before the rollout and
// moved forward in the same transaction that records the release, so that a server killed at any
// instant finds at its next start what was half-done (server/deploy/recovery.ts).
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('deploy_journal', (t) => {
    t.increments('id');
    t.integer('app_id').notNullable().references('apps.id').onDelete('CASCADE');
    t.integer('version').notNullable();
    // rolling-out → committed → done, or rolling-out → aborted
    t.string('state', 16).notNullable();
    // [{ref: "refs/heads/main", sha}]: what the repository's branches must point at once committed
    t.text('refs').notNullable();
    t.string('owner', 128).notNullable();
    t.string('created_at').notNullable();
    t.string('updated_at').notNullable();
    t.index(['state']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('deploy_journal');
}
