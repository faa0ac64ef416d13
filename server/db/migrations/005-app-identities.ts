import type { Knex } from 'knex';

// Each app owns a pair of unix uids (server/sandbox/identities.ts): its index into the operator's
// range is allocated once and kept, so files the app owns on instances stay its own.
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('apps', (t) => {
    t.integer('uid_index').unique();
  });
  const apps = await db('apps').orderBy('id').select('id');
  for (const [index, app] of apps.entries()) await db('apps').where({ id: app.id }).update({ uid_index: index });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('apps', (t) => t.dropColumn('uid_index'));
}
