// Work the reconciler starts and does not wait for: one boot wait or drain per instance row. A row
// has at most one at a time, so a later pass never starts a second wait for a row already watched;
// a drain takes over from a boot wait (the wait is told to stop, and the drain runs after it).
interface Task { clusterId: number; done: Promise<void>; stop: AbortController }

export class BackgroundWork {
  private readonly tasks = new Map<string, Task>();
  private readonly failures = new Map<number, string[]>();

  has(rowId: string): boolean {
    return this.tasks.has(rowId);
  }

  /** Runs `task` for the row unless one runs already; its rejection is the caller's to report. */
  start(clusterId: number, rowId: string, task: (stop: AbortSignal) => Promise<void>): void {
    if (!this.tasks.has(rowId)) this.run(clusterId, rowId, Promise.resolve(), task);
  }

  /** Stops the row's task (if any) and runs `task` once it has ended. */
  takeOver(clusterId: number, rowId: string, task: (stop: AbortSignal) => Promise<void>): void {
    const current = this.tasks.get(rowId);
    current?.stop.abort();
    this.run(clusterId, rowId, current?.done ?? Promise.resolve(), task);
  }

  private run(clusterId: number, rowId: string, after: Promise<void>, task: (stop: AbortSignal) => Promise<void>): void {
    const stop = new AbortController();
    const entry: Task = { clusterId, stop, done: Promise.resolve() };
    entry.done = after.then(() => task(stop.signal)).catch(() => {}).finally(() => {
      if (this.tasks.get(rowId) === entry) this.tasks.delete(rowId);
    });
    this.tasks.set(rowId, entry);
  }

  /** A boot that failed, kept for settled(). */
  recordFailure(clusterId: number, text: string): void {
    const list = this.failures.get(clusterId) ?? [];
    list.push(text);
    this.failures.set(clusterId, list.slice(-100));
  }

  /** Waits until the cluster has no work left (including work started meanwhile); its failures since the last call. */
  async settled(clusterId: number): Promise<string[]> {
    for (;;) {
      const open = [...this.tasks.values()].filter((t) => t.clusterId === clusterId).map((t) => t.done);
      if (!open.length) break;
      await Promise.all(open);
    }
    const failures = this.failures.get(clusterId) ?? [];
    this.failures.delete(clusterId);
    return failures;
  }

  /** Everything under way, for a server that stops (bounded: a hung cloud call must not hold it). */
  async drain(timeoutMs: number): Promise<void> {
    for (const task of this.tasks.values()) task.stop.abort();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...this.tasks.values()].map((t) => t.done)),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
  }
}
