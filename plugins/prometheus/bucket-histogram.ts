// A Prometheus histogram fed with the routers' bucket counts as they come (a report says "6
// requests in the 40 ms bucket"), not one observation at a time: a report costs one addition per
// bucket, whatever its counts. prom-client's Histogram only observes single values, so this is a
// metric of its own that prom-client's registry formats (`get()` in the shape its metrics return).
import { LATENCY_BUCKETS_MS } from '../../server/plugin-api.ts';

interface Series { buckets: number[]; sum: number; count: number }

export class BucketHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, Series>();
  /** A router bucket (by index) → the first Prometheus bound it fits under (its upper bound ≤ le). */
  private readonly slotOf: number[];

  constructor(readonly name: string, readonly help: string, private readonly labelName: string, private readonly boundsSeconds: readonly number[]) {
    this.slotOf = LATENCY_BUCKETS_MS.map((upperMs) => {
      const slot = boundsSeconds.findIndex((le) => upperMs / 1000 <= le);
      return slot < 0 ? boundsSeconds.length : slot; // past the last bound: only +Inf
    });
  }

  /** Adds one report's buckets (index → count), with the exact sum of the values in ms. */
  add(label: string, counts: Record<number, number>, sumMs: number): void {
    let s = this.series.get(label);
    if (!s) this.series.set(label, (s = { buckets: new Array<number>(this.boundsSeconds.length + 1).fill(0), sum: 0, count: 0 }));
    for (const key in counts) {
      const n = counts[key as unknown as number]!;
      const slot = this.slotOf[Number(key)];
      if (slot === undefined || !(n > 0)) continue;
      s.buckets[slot]! += n;
      s.count += n;
    }
    if (Number.isFinite(sumMs) && sumMs > 0) s.sum += sumMs / 1000;
  }

  remove(label: string): void {
    this.series.delete(label);
  }

  get() {
    const values: Array<{ metricName: string; labels: Record<string, string | number>; value: number }> = [];
    for (const [label, s] of this.series) {
      let below = 0;
      s.buckets.forEach((n, i) => {
        below += n;
        values.push({ metricName: `${this.name}_bucket`, labels: { [this.labelName]: label, le: i < this.boundsSeconds.length ? this.boundsSeconds[i]! : '+Inf' }, value: below });
      });
      values.push({ metricName: `${this.name}_sum`, labels: { [this.labelName]: label }, value: s.sum });
      values.push({ metricName: `${this.name}_count`, labels: { [this.labelName]: label }, value: s.count });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}
