// The monitoring plugin's time series: one row per series (a metric and its labels, as canonical
// JSON), and one per series, resolution and bucket. A bucket keeps sum, count and max so that
// averages and peaks roll up exactly; a histogram's bucket keeps its counts (sparse JSON).
// Points are keyed by series first, so that a graph reads one range of the key per series; the
// (resolution, at) index is what pruning reads, oldest first.
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('metric_series', (t) => {
    t.increments('id');
    t.string('metric', 64).notNullable();
    t.string('kind', 16).notNullable();
    t.string('labels', 1000).notNullable();
    t.unique(['metric', 'labels']);
  });
  await db.schema.createTable('metric_points', (t) => {
    t.integer('series_id').notNullable().references('metric_series.id').onDelete('CASCADE');
    t.string('resolution', 3).notNullable();
    t.bigInteger('at').notNullable();
    t.double('sum').notNullable();
    t.bigInteger('count').notNullable();
    t.double('max');
    t.text('hist');
    t.primary(['series_id', 'resolution', 'at']);
    t.index(['resolution', 'at']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('metric_points');
  await db.schema.dropTableIfExists('metric_series');
}
