// Reports arrive one per instance per interval; the store takes them in batches (one transaction a
// second at most), so a thousand instances cost a few writes a second, not a thousand. What is
// buffered is written at close: a restart loses at most the interval under way on the instances.
import type { MetricStore } from './store/metric-store.ts';
import type { Sample } from './store/types.ts';

const FLUSH_MS = 1000;

export class MetricRecorder {
  private pending = new Map<number, Sample[]>();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: MetricStore,
    private readonly onError: (error: Error) => void,
  ) {}

  add(samples: Sample[], at: number): void {
    if (!samples.length) return;
    // One batch per 10 s bucket: record() files a batch under one time.
    const bucket = Math.floor(at / 10_000) * 10_000;
    const list = this.pending.get(bucket);
    if (list) list.push(...samples);
    else this.pending.set(bucket, samples.slice());
    this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS).unref();
  }

  /** Writes what is buffered; resolves when it (and any write before it) is in the database. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batches = [...this.pending];
    this.pending = new Map();
    this.writing = this.writing.then(async () => {
      for (const [at, samples] of batches) await this.store.record(samples, at).catch(this.onError);
    });
    return this.writing;
  }
}
