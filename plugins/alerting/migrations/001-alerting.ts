// Alerting's tables: notifiers (settings sealed), rules (user rules on a metric of an app or a
// cluster, and the built-in ones), one state per rule and subject, the history of transitions and
// the deliveries of each transition to each notifier (with retries).
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('alert_notifiers', (t) => {
    t.increments('id');
    t.string('name', 64).notNullable().unique();
    t.string('kind', 32).notNullable();
    t.text('settings').notNullable(); // sealed JSON
    t.string('shown', 300).notNullable(); // what may be shown (no secret)
    t.boolean('is_default').notNullable().defaultTo(false);
    t.string('created_by', 64).notNullable();
    t.string('created_at').notNullable();
  });
  await db.schema.createTable('alert_rules', (t) => {
    t.increments('id');
    t.string('builtin', 32).unique(); // null for a user's rule
    t.string('scope_kind', 8).notNullable(); // app | cluster | server (built-ins)
    t.string('scope_name', 64).notNullable().defaultTo('');
    t.string('scope_type', 64); // a process type of the app
    t.string('scope_role', 64);
    t.string('scope_instance', 64);
    t.string('metric', 64).notNullable();
    t.string('op', 8).notNullable(); // above | below
    t.double('threshold').notNullable();
    t.integer('for_ms').notNullable();
    t.text('notify').notNullable(); // JSON list of notifier names; [] means the default notifiers
    t.boolean('enabled').notNullable().defaultTo(true);
    t.string('created_by', 64).notNullable();
    t.string('created_at').notNullable();
    t.index(['scope_kind', 'scope_name']);
  });
  await db.schema.createTable('alert_states', (t) => {
    t.integer('rule_id').notNullable().references('alert_rules.id').onDelete('CASCADE');
    t.string('subject', 200).notNullable(); // '' for a user's rule; the app, process type or instance for a built-in one
    t.string('state', 8).notNullable(); // ok | pending | firing
    t.string('since').notNullable();
    t.double('value');
    t.primary(['rule_id', 'subject']);
  });
  await db.schema.createTable('alert_events', (t) => {
    t.increments('id');
    t.integer('rule_id').notNullable().references('alert_rules.id').onDelete('CASCADE');
    t.string('subject', 200).notNullable();
    t.string('scope_kind', 8).notNullable();
    t.string('scope_name', 64).notNullable(); // the app or cluster it is about: who may read it
    t.string('state', 8).notNullable(); // firing | resolved
    t.double('value');
    t.text('title').notNullable();
    t.text('text').notNullable();
    t.string('at').notNullable();
    t.index(['scope_kind', 'scope_name', 'id']);
  });
  await db.schema.createTable('alert_deliveries', (t) => {
    t.increments('id');
    t.integer('event_id').notNullable().references('alert_events.id').onDelete('CASCADE');
    t.integer('notifier_id').notNullable().references('alert_notifiers.id').onDelete('CASCADE');
    t.string('status', 8).notNullable(); // pending | sending | sent | failed
    t.integer('attempts').notNullable().defaultTo(0);
    t.bigInteger('next_at').notNullable();
    t.text('last_error');
    t.string('done_at');
    t.index(['status', 'next_at']);
  });
}

export async function down(db: Knex): Promise<void> {
  for (const table of ['alert_deliveries', 'alert_events', 'alert_states', 'alert_rules', 'alert_notifiers']) await db.schema.dropTableIfExists(table);
}
