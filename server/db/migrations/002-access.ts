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
  await db.schema.createTable('grants', (t) => {
    t.increments('id');
    t.integer('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.string('scope_kind', 16).notNullable();
    t.string('scope_name', 64).notNullable();
    t.string('role', 16).notNullable();
    t.boolean('ssh').notNullable().defaultTo(false);
    t.boolean('sudo').notNullable().defaultTo(false);
    t.string('created_at').notNullable();
    t.unique(['user_id', 'scope_kind', 'scope_name']);
  });
  await db.schema.createTable('ssh_keys', (t) => {
    t.increments('id');
    t.integer('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.string('fingerprint', 100).notNullable();
    t.string('type', 40).notNullable();
    t.text('public_key').notNullable();
    t.string('comment', 255);
    t.string('created_at').notNullable();
    t.unique(['user_id', 'fingerprint']);
  });
  await db.schema.createTable('login_failures', (t) => {
    t.increments('id');
    t.string('account', 64).notNullable().index();
    t.string('ip', 64).notNullable().index();
    t.string('at').notNullable().index();
  });
}

export async function down(db: Knex): Promise<void> {
  for (const table of ['login_failures', 'ssh_keys', 'grants', 'invites']) await db.schema.dropTableIfExists(table);
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
