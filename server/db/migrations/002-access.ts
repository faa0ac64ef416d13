// Passwords, disabled users, scoped and capped tokens, invites. (Grants, SSH keys and failed log-ins
// were made here once; they are the access plugin's tables now: plugins/access/migrations.)
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('users', (t) => {
    t.text('password_hash');
    t.boolean('disabled').notNullable().defaultTo(false);
  });
  await db.schema.alterTable('tokens', (t) => {
    t.string('scope_kind', 16);
    t.string('scope_name', 64);
    t.string('role', 16);
    t.string('hint', 16);
  });
  await db.schema.createTable('invites', (t) => {
    t.string('hash', 64).primary();
    t.integer('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.string('expires_at').notNullable();
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('invites');
  await db.schema.alterTable('tokens', (t) => {
    t.dropColumn('scope_kind');
    t.dropColumn('scope_name');
    t.dropColumn('role');
    t.dropColumn('hint');
  });
  await db.schema.alterTable('users', (t) => {
    t.dropColumn('password_hash');
    t.dropColumn('disabled');
  });
}
