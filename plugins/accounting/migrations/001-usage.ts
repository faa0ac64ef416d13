// The accounting plugin's tables. usage_intervals: one row per stretch of time a subject (an
// instance, or a process) was seen running, with the names it is billed under copied in, so that
// what was used stays billable after the app, instance or cluster is gone. An open interval has no
// ended_ms and carries `open_key` ("<kind>:<subject>"), which is unique: a subject has at most one
// open interval, and closing clears the key, so a second close or a second open changes nothing.
// usage_prices: the operator's prices, per instance type or process size, from a month on.
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('usage_intervals', (t) => {
    t.increments('id');
    t.string('kind', 16).notNullable(); // instance | process
    t.string('subject', 64).notNullable(); // the instance id, or the process id
    t.string('open_key', 96).unique(); // "<kind>:<subject>" while open, NULL once closed
    t.string('server_id', 64).notNullable(); // the server that saw it (and closes it after a crash)
    t.integer('cluster_id').notNullable();
    t.string('cluster', 64).notNullable();
    t.string('instance_id', 64).notNullable();
    t.string('role', 64); // instances
    t.string('instance_type', 64); // instances
    t.integer('app_id'); // processes
    t.string('app', 64);
    t.string('process_type', 32);
    t.string('size', 32);
    t.string('owner', 64);
    t.bigInteger('started_ms').notNullable();
    t.bigInteger('heartbeat_ms').notNullable();
    t.bigInteger('ended_ms');
    t.string('end_reason', 32);
    // A month's report reads the intervals that start before its end and end after its start.
    t.index(['started_ms']);
    t.index(['ended_ms']);
    t.index(['kind', 'subject']);
  });
  await db.schema.createTable('usage_prices', (t) => {
    t.string('kind', 16).notNullable(); // instance | size
    t.string('name', 64).notNullable();
    t.string('from_month', 7).notNullable(); // YYYY-MM: the price holds from this month until a later row
    t.bigInteger('micros_per_hour').notNullable(); // millionths of the currency unit per hour
    t.string('set_by', 64).notNullable();
    t.string('set_at').notNullable();
    t.primary(['kind', 'name', 'from_month']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('usage_prices');
  await db.schema.dropTableIfExists('usage_intervals');
}
