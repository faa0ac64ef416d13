// The access plugin's tables: grants (a user's role on an app or cluster, with SSH and sudo), users'
// SSH public keys, and failed log-ins. Databases made before these were the plugin's own already
// have them from core's 002-access: those are adopted as they are, not made again.
import type { Knex } from 'knex';

const TABLES: Array<[string, (t: Knex.CreateTableBuilder) => void]> = [
  ['grants', (t) => {
    t.increments('id');
    t.integer('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.string('scope_kind', 16).notNullable();
    t.string('scope_name', 64).notNullable();
    t.string('role', 16).notNullable();
    t.boolean('ssh').notNullable().defaultTo(false);
    t.boolean('sudo').notNullable().defaultTo(false);
    t.string('created_at').notNullable();
    t.unique(['user_id', 'scope_kind', 'scope_name']);
  }],
  ['ssh_keys', (t) => {
    t.increments('id');
    t.integer('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.string('fingerprint', 100).notNullable();
    t.string('type', 40).notNullable();
    t.text('public_key').notNullable();
    t.string('comment', 255);
    t.string('created_at').notNullable();
    t.unique(['user_id', 'fingerprint']);
  }],
  ['login_failures', (t) => {
    t.increments('id');
    t.string('account', 64).notNullable().index();
    t.string('ip', 64).notNullable().index();
    t.string('at').notNullable().index();
  }],
];

export async function up(db: Knex): Promise<void> {
  for (const [name, columns] of TABLES) {
    if (!(await db.schema.hasTable(name))) await db.schema.createTable(name, columns);
  }
}

export async function down(db: Knex): Promise<void> {
  for (const [name] of [...TABLES].reverse()) await db.schema.dropTableIfExists(name);
}
