// A histogram's bucket keeps its 50th, 95th and 99th percentiles beside its counts: a graph of one
// series reads three numbers per bucket instead of parsing every bucket's counts (a week of 1 min
// buckets: ~25 ms instead of ~100). Rows written before have none; a query reads their counts.
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('metric_points', (t) => {
    t.double('p50');
    t.double('p95');
    t.double('p99');
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('metric_points', (t) => {
    t.dropColumn('p50');
    t.dropColumn('p95');
    t.dropColumn('p99');
  });
}
