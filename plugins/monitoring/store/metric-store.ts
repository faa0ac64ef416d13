// The monitoring plugin's time series, in core's database (SQLite by default, Postgres through
// knex alike). Every sample goes into its 10 s, 1 min and 1 h bucket at once, so each resolution is
// exact on its own (no roll-up job to fall behind, nothing lost at a restart but what the recorder
// had not flushed), and old buckets are pruned in the background. Series ids are cached: a batch
// costs one upsert per 200 rows, plus a read for the histograms it merges into.
import type { Knex } from 'knex';
import type { Db } from '../../../server/plugin-api.ts';
import { pointsOf, type Aggregate, type PointRow } from './aggregate.ts';
import { hasLabels } from './labels.ts';
import { mergeCounts, quantile } from './buckets.ts';
import { mergeSamples, type Accumulated } from './merge-samples.ts';
import { ADD, KEEP, REPLACE, row, upsertSql, values } from './points-sql.ts';
import { bucketStart, chooseResolution, DEFAULT_MAX_POINTS, keptSince, RESOLUTIONS, STEP_MS } from './resolutions.ts';
import type { Labels, MetricKind, Point, Resolution, Sample } from './types.ts';

export { RETENTION_MS } from './resolutions.ts';

const SERIES = 'metric_series';
/** The percentiles each histogram bucket keeps beside its counts, in columns p50, p95, p99. */
const STORED_QUANTILES = [0.5, 0.95, 0.99] as const;
const POINTS = 'metric_points';
// Rows per statement; knex writes a multi-row insert for SQLite as a compound select (500 terms at most).
const CHUNK = 500;
const SERIES_CHUNK = 200;
// Rows per delete: a long delete would hold SQLite's one connection from every other request.
const DELETE_BATCH = 5000;

export interface MetricQuery {
  metric: string;
  /** series whose labels include these */
  labels?: Labels;
  from: number;
  to: number;
  /** default: a week of 1 min buckets (DEFAULT_MAX_POINTS) */
  maxPoints?: number;
  /** histograms: the percentile (0..1) per bucket instead of the mean */
  quantile?: number;
  /** counters: per second instead of per bucket */
  rate?: boolean;
  /** across the matching series (aggregate.ts says what each means per kind); default 'sum' */
  aggregate?: Aggregate;
  /** one label name: a series per value (series without the label make one of their own) */
  groupBy?: string;
  /**
   * One point for the whole range (alerts, autoscaling: "p95 over the last minute"): the complete
   * buckets inside [from, to) merged per series first, then across series as usual.
   */
  whole?: boolean;
}

export interface MetricAnswer {
  resolution: Resolution;
  stepMs: number;
  /** only series with a point in the range, ordered by the groupBy value */
  series: Array<{ labels: Labels; points: Point[] }>;
}

interface StoredRow { series_id: number; at: number; sum: number; count: number; max: number | null; hist?: string | null; q?: number | null }
interface SeriesRow { id: number; kind: MetricKind; labels: Labels }

export class MetricStore {
  private readonly ids = new Map<string, number>();
  private readonly maxRows: number | undefined;
  private readonly clock: () => number;
  // record() and dropping empty series take turns, so no batch writes to a series just dropped.
  private turn: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: Db,
    options: { maxRows?: number; clock?: () => number } = {},
  ) {
    this.maxRows = options.maxRows;
    this.clock = options.clock ?? Date.now;
  }

  /** Adds samples measured at `at` (ms) to every resolution (10 s, 1 min, 1 h buckets), in one transaction. */
  record(samples: Sample[], at: number): Promise<void> {
    if (!Number.isFinite(at)) return Promise.reject(new TypeError(`record() at ${at}: not a time`));
    const batch = mergeSamples(samples);
    if (!batch.length) return Promise.resolve();
    const starts = RESOLUTIONS.map((resolution) => [resolution, bucketStart(at, resolution)] as const);
    return this.inTurn(async () => {
      const fresh = new Map<string, number>();
      await this.db.transaction(async (trx) => {
        // Writes first: a SQLite transaction that reads first can fail when another process wrote.
        const ids = await this.seriesIds(trx, batch, fresh);
        const plain: string[] = [];
        const histograms: Array<{ id: number; a: Accumulated }> = [];
        for (const a of batch) {
          const id = ids.get(a.key)!;
          if (a.hist) {
            histograms.push({ id, a });
            continue;
          }
          const columns = values(a.sum, a.count, a.max, null);
          for (const [resolution, start] of starts) plain.push(row(id, resolution, start, columns));
        }
        for (const chunk of chunks(plain, CHUNK)) await trx.raw(upsertSql(POINTS, chunk, ADD));
        for (const chunk of chunks(histograms, CHUNK / RESOLUTIONS.length)) await this.addHistograms(trx, chunk, starts);
      });
      for (const [key, id] of fresh) this.ids.set(key, id);
    });
  }

  /**
   * Points of one metric for the series whose labels include `labels`, combined per bucket (see
   * pointsOf in aggregate.ts), at the finest resolution that still holds `from` and gives at most
   * maxPoints buckets. An unknown metric, or one without points in the range, gives no series.
   */
  async query(q: MetricQuery): Promise<MetricAnswer> {
    const resolution = chooseResolution(q.from, q.to, this.clock(), q.maxPoints ?? DEFAULT_MAX_POINTS);
    const stepMs = STEP_MS[resolution];
    const answer: MetricAnswer = { resolution, stepMs, series: [] };
    const series = await this.matching(q.metric, q.labels);
    if (!series.length || q.to < q.from) return answer;
    const kind = series[0]!.kind;

    const groups = new Map<string | undefined, { labels: Labels; rows: PointRow[] }>();
    const groupOf = new Map<number, { labels: Labels; rows: PointRow[] }>();
    for (const s of series) {
      const value = q.groupBy === undefined ? undefined : s.labels[q.groupBy];
      let group = groups.get(value);
      if (!group) {
        const labels = { ...q.labels, ...(value === undefined ? {} : { [q.groupBy!]: value }) };
        groups.set(value, (group = { labels, rows: [] }));
      }
      groupOf.set(s.id, group);
    }
    // One histogram series read as a stored percentile: its column, and the counts only of rows
    // written before the column existed. Several series need their counts merged first.
    const stored = kind === 'histogram' && series.length === 1 && !q.whole ? storedColumn(q.quantile) : undefined;
    const columns: Array<string | Knex.Raw> = ['series_id', 'at', 'sum', 'count', 'max'];
    if (stored) columns.push(this.db.raw(`?? as q, case when ?? is null then ?? end as hist`, [stored, stored, 'hist']));
    else if (kind === 'histogram') columns.push('hist');
    // Whole: only buckets that lie inside the range, so a rate divides by the time they cover.
    const first = q.whole ? bucketStart(q.from + stepMs - 1, resolution) : bucketStart(q.from, resolution);
    const last = q.whole ? bucketStart(q.to, resolution) - stepMs : q.to;
    if (q.whole && last < first) return answer;
    const perSeries = new Map<number, PointRow>();
    for (const ids of chunks([...groupOf.keys()], 500)) {
      const rows: StoredRow[] = await this.db(POINTS).select(columns).where('resolution', resolution).whereIn('series_id', ids)
        .where('at', '>=', first).where('at', '<=', last);
      for (const r of rows) {
        const id = Number(r.series_id);
        const point: PointRow = {
          at: Number(r.at), sum: Number(r.sum), count: Number(r.count), max: r.max === null ? null : Number(r.max),
          hist: r.hist ? (JSON.parse(r.hist) as Record<number, number>) : null,
          ...(stored && r.q !== null && r.q !== undefined ? { quantile: Number(r.q) } : {}),
        };
        if (!q.whole) groupOf.get(id)!.rows.push(point);
        else perSeries.set(id, mergeRows(perSeries.get(id), point, first));
      }
    }
    for (const [id, row] of perSeries) groupOf.get(id)!.rows.push(row);
    const wholeStep = last + stepMs - first;
    if (q.whole) answer.stepMs = wholeStep;
    const ordered = [...groups].sort(([a], [b]) => (a === b ? 0 : a === undefined ? 1 : b === undefined ? -1 : a < b ? -1 : 1));
    for (const [, group] of ordered) {
      const points = pointsOf(group.rows, { kind, stepMs: q.whole ? wholeStep : stepMs, aggregate: q.aggregate, quantile: q.quantile, rate: q.rate });
      if (points.length) answer.series.push({ labels: group.labels, points });
    }
    return answer;
  }

  /** Distinct label sets of a metric (e.g. every instance of a cluster), sorted. */
  async seriesOf(metric: string, labels?: Labels): Promise<Labels[]> {
    return (await this.matching(metric, labels)).map((s) => s.labels);
  }

  /**
   * Deletes points past their resolution's retention, then, while there are more than maxRows,
   * the oldest 10 s points (then 1 min, then 1 h ones: the bound holds); then series left without
   * points. Returns the points deleted. Runs in batches, so requests get the database in between.
   */
  async prune(now = this.clock()): Promise<number> {
    let deleted = 0;
    for (const resolution of RESOLUTIONS) deleted += await this.deleteOldest(resolution, keptSince(now, resolution));
    if (this.maxRows !== undefined) {
      const [{ rows }] = await this.db(POINTS).count({ rows: '*' });
      let excess = Number(rows) - this.maxRows;
      for (const resolution of RESOLUTIONS) {
        if (excess <= 0) break;
        const n = await this.deleteOldest(resolution, Infinity, excess);
        deleted += n;
        excess -= n;
      }
    }
    if (deleted) await this.inTurn(() => this.dropEmptySeries());
    return deleted;
  }

  /**
   * Deletes every series whose labels include `labels` (all metrics), with its points: an app or
   * cluster that is destroyed takes its figures along, so a new one of the same name starts empty.
   */
  forget(labels: Labels): Promise<number> {
    return this.inTurn(async () => {
      const rows: Array<{ id: number; labels: string }> = await this.db(SERIES).select('id', 'labels');
      const gone = new Set(rows.filter((r) => hasLabels(JSON.parse(r.labels) as Labels, labels)).map((r) => Number(r.id)));
      for (const ids of chunks([...gone], 500)) {
        await this.db.transaction(async (trx) => {
          await trx(POINTS).whereIn('series_id', ids).delete();
          await trx(SERIES).whereIn('id', ids).delete();
        });
      }
      for (const [key, id] of this.ids) if (gone.has(id)) this.ids.delete(key);
      return gone.size;
    });
  }

  private inTurn<T>(run: () => Promise<T>): Promise<T> {
    const result = this.turn.then(run, run);
    this.turn = result.catch(() => undefined);
    return result;
  }

  private async matching(metric: string, labels: Labels | undefined): Promise<SeriesRow[]> {
    const rows: Array<{ id: number; kind: MetricKind; labels: string }> = await this.db(SERIES).select('id', 'kind', 'labels').where('metric', metric);
    return rows
      .sort((a, b) => (a.labels < b.labels ? -1 : a.labels > b.labels ? 1 : 0))
      .map((r) => ({ id: Number(r.id), kind: r.kind, labels: JSON.parse(r.labels) as Labels }))
      .filter((s) => hasLabels(s.labels, labels));
  }

  /** The batch's series ids: cached, else inserted (unless there) and read back into `fresh`. */
  private async seriesIds(trx: Knex.Transaction, batch: Accumulated[], fresh: Map<string, number>): Promise<Map<string, number>> {
    const ids = new Map<string, number>();
    const missing = batch.filter((a) => {
      const id = this.ids.get(a.key);
      if (id !== undefined) ids.set(a.key, id);
      return id === undefined;
    });
    for (const chunk of chunks(missing, SERIES_CHUNK)) {
      await trx(SERIES).insert(chunk.map((a) => ({ metric: a.metric, kind: a.kind, labels: a.labels }))).onConflict(['metric', 'labels']).ignore();
      const rows: Array<{ id: number; metric: string; labels: string }> = await trx(SERIES).select('id', 'metric', 'labels')
        .whereIn(['metric', 'labels'], chunk.map((a) => [a.metric, a.labels]));
      for (const r of rows) {
        const key = `${r.metric}\u0000${r.labels}`;
        ids.set(key, Number(r.id));
        fresh.set(key, Number(r.id));
      }
    }
    return ids;
  }

  /**
   * Histograms merge their counts in code (JSON has no portable SQL): the rows are made first (a
   * write, and rows to lock on Postgres), then read, merged and written back.
   */
  private async addHistograms(trx: Knex.Transaction, batch: Array<{ id: number; a: Accumulated }>, starts: ReadonlyArray<readonly [Resolution, number]>): Promise<void> {
    const empty = values(0, 0, null, '{}');
    await trx.raw(upsertSql(POINTS, starts.flatMap(([resolution, at]) => batch.map(({ id }) => row(id, resolution, at, empty))), KEEP));
    const postgres = /^(pg|postgres)/.test(String(trx.client.config.client));
    const merged: string[] = [];
    for (const [resolution, at] of starts) {
      const read = trx(POINTS).select('series_id', 'sum', 'count', 'hist').where({ resolution, at }).whereIn('series_id', batch.map(({ id }) => id));
      const stored = new Map<number, { sum: number; count: number; hist: string | null }>();
      for (const r of await (postgres ? read.forUpdate() : read)) stored.set(Number(r.series_id), r);
      for (const { id, a } of batch) {
        const old = stored.get(id);
        const hist = mergeCounts(old?.hist ? (JSON.parse(old.hist) as Record<number, number>) : {}, a.hist!);
        const percentiles = STORED_QUANTILES.map((q) => quantile(hist, q)) as [number | null, number | null, number | null];
        merged.push(row(id, resolution, at, values(Number(old?.sum ?? 0) + a.sum, Number(old?.count ?? 0) + a.count, null, JSON.stringify(hist), percentiles)));
      }
    }
    await trx.raw(upsertSql(POINTS, merged, REPLACE));
  }

  /**
   * Deletes the oldest points of a resolution before `before`, about `limit` of them (whole
   * buckets), a batch at a time: each batch ends at the time of its last row, so every delete is
   * a range of the (resolution, at) index, on SQLite and Postgres alike.
   */
  private async deleteOldest(resolution: Resolution, before: number, limit = Infinity): Promise<number> {
    let deleted = 0;
    while (deleted < limit) {
      const older = () => {
        const q = this.db(POINTS).where('resolution', resolution);
        return before === Infinity ? q : q.where('at', '<', before);
      };
      const last: Array<{ at: number }> = await older().select('at').orderBy('at').offset(Math.min(DELETE_BATCH, limit - deleted) - 1).limit(1);
      const n = await (last.length ? older().where('at', '<=', Number(last[0]!.at)) : older()).delete();
      deleted += n;
      if (!last.length) break;
    }
    return deleted;
  }

  private async dropEmptySeries(): Promise<void> {
    const empty = await this.db(SERIES).pluck('id').whereNotExists(
      this.db(POINTS).select(this.db.raw('1')).whereRaw('?? = ??', [`${POINTS}.series_id`, `${SERIES}.id`]),
    );
    if (!empty.length) return;
    const gone = new Set(empty.map(Number));
    for (const ids of chunks([...gone], 500)) await this.db(SERIES).whereIn('id', ids).delete();
    for (const [key, id] of this.ids) if (gone.has(id)) this.ids.delete(key);
  }
}

function storedColumn(q: number | undefined): string | undefined {
  const i = STORED_QUANTILES.findIndex((x) => x === q);
  return i < 0 ? undefined : ['p50', 'p95', 'p99'][i];
}

/** One series' buckets as one: increments and sums add, the peak is the largest, histograms merge. */
function mergeRows(into: PointRow | undefined, row: PointRow, at: number): PointRow {
  if (!into) return { ...row, at, hist: row.hist ? { ...row.hist } : null };
  into.sum += row.sum;
  into.count += row.count;
  if (row.max !== null) into.max = into.max === null ? row.max : Math.max(into.max, row.max);
  if (row.hist) into.hist = into.hist ? mergeCounts(into.hist, row.hist) : { ...row.hist };
  return into;
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
