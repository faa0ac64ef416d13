import type { Knex } from 'knex';

// An instance's token from its user-data is replaced at its first connection; until the agent has
// confirmed the new one, both are accepted (a lost message must not lock the instance out).
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('instances', (t) => {
    t.string('next_token_hash', 64);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('instances', (t) => t.dropColumn('next_token_hash'));
}
