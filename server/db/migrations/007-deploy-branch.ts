import type { Knex } from 'knex';

// The branch whose pushes deploy an app. Null until its first push of main or master decides
// (Heroku's samples live on master); server/core/deploy-branch.ts.
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('apps', (t) => {
    t.string('deploy_branch', 100).nullable();
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('apps', (t) => {
    t.dropColumn('deploy_branch');
  });
}
