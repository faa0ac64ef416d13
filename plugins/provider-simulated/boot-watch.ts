// Waits for many booting instances at once: each resolves when its row is online, or fails with
// the reason the fleet host gave (a failed boot) or with a timeout. One clock and one query per
// cluster a tick serve every waiter — a scale-up of 500 does not poll the database 500 times over.
import { listInstances, type Scalarium } from '../../server/plugin-api.ts';

const TICK_MS = 50;

interface Waiter { clusterId: number; deadline: number; timeoutMs: number; resolve: () => void; reject: (error: Error) => void }

export class BootWatch {
  private readonly waiters = new Map<string, Waiter>();
  private timer: NodeJS.Timeout | undefined;
  private checking = false;

  constructor(private readonly scalarium: Scalarium) {}

  /** Resolves once the instance is online. */
  untilOnline(id: string, clusterId: number, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiters.get(id)?.reject(new Error(`instance ${id} was booted again`));
      this.waiters.set(id, { clusterId, deadline: Date.now() + timeoutMs, timeoutMs, resolve, reject });
      this.timer ??= setInterval(() => void this.check(), TICK_MS);
    });
  }

  /** The boot failed before the instance could connect. */
  fail(id: string, reason: string): void {
    this.settle(id, new Error(reason));
  }

  /** The server stops: nobody waits any longer. */
  close(): void {
    for (const id of [...this.waiters.keys()]) this.settle(id, new Error('the server is stopping'));
  }

  private settle(id: string, error?: Error): void {
    const waiter = this.waiters.get(id);
    if (!waiter) return;
    this.waiters.delete(id);
    if (error) waiter.reject(error);
    else waiter.resolve();
    if (!this.waiters.size) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      const now = Date.now();
      for (const clusterId of new Set([...this.waiters.values()].map((w) => w.clusterId))) {
        const rows = new Map((await listInstances(this.scalarium.db, clusterId)).map((row) => [row.id, row]));
        for (const [id, waiter] of [...this.waiters].filter(([, w]) => w.clusterId === clusterId)) {
          const row = rows.get(id);
          if (row?.state === 'online') this.settle(id);
          else if (row?.state === 'failed') this.settle(id, new Error(row.failure ?? `instance ${id} failed`));
          else if (now > waiter.deadline) this.settle(id, new Error(`simulated instance ${id} did not come online within ${Math.round(waiter.timeoutMs / 1000)} s`));
        }
      }
    } catch (error) {
      this.scalarium.say(`simulated boots: ${(error as Error).message}`);
    } finally {
      this.checking = false;
    }
  }
}
