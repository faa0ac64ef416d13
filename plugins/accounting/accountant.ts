// The accountant keeps one open interval per subject that runs now (db/live.ts says which), and
// none for any other. A pass compares the two and closes or opens intervals at the accounting
// clock's now; hooks ask for a pass as soon as something changed (a process's state, an agent
// connecting or going away, a deploy, an undeploy, a destroy), so ends and starts are exact to the
// moment the server learns of them. A timer runs a pass every heartbeat period too, which also
// renews the heartbeat of every open interval in one statement; after a crash the next start closes
// the intervals left open at that heartbeat (IntervalStore.closeAtHeartbeat).
import { AccountingClock } from './clock.ts';
import { subjectKey, type IntervalStore, type Subject } from './store.ts';

export interface AccountantOptions {
  store: IntervalStore;
  clock: AccountingClock;
  /** What runs now. */
  live: () => Promise<Subject[]>;
  heartbeatMs: number;
  onError: (error: Error) => void;
  /** Told after each heartbeat is stored (tests and the crash fixture wait for it). */
  onHeartbeat?: (ms: number) => void;
}

export class Accountant {
  readonly clock: AccountingClock;
  private readonly store: IntervalStore;
  private turn: Promise<void> = Promise.resolve();
  private pending: Promise<void> | undefined;
  private pendingRenew = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private startedAt = 0;

  constructor(private readonly options: AccountantOptions) {
    this.store = options.store;
    this.clock = options.clock;
  }

  /**
   * Settles the last life's intervals (closed at their heartbeat), moves the clock past every time
   * recorded, and starts the heartbeat timer. Returns how many intervals a crash had left open.
   */
  async start(): Promise<number> {
    const recovered = await this.store.closeAtHeartbeat('server restart');
    const latest = await this.store.latestTime();
    if (latest !== undefined) this.clock.raiseTo(latest);
    this.startedAt = this.clock.now();
    this.timer = setInterval(() => void this.pass(true).catch(() => undefined), this.options.heartbeatMs);
    this.timer.unref();
    return recovered;
  }

  /**
   * Asks for a pass. Bursts coalesce: while one is waiting to run, asking again joins it. Resolves
   * once that pass is done (it never rejects: errors go to onError).
   */
  pass(renew = false): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (renew) this.pendingRenew = true;
    if (this.pending) return this.pending;
    const next = this.turn.then(async () => {
      this.pending = undefined;
      const renewNow = this.pendingRenew;
      this.pendingRenew = false;
      if (!this.closed) await this.reconcile(renewNow);
    }).catch((error: Error) => this.options.onError(error));
    this.pending = next;
    this.turn = next;
    return next;
  }

  /** Graceful stop: every open interval ends now; later passes do nothing. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.turn;
    const open = await this.store.openIntervals();
    await this.store.close(open.map((o) => o.id), this.clock.now(), 'server stopped');
  }

  private async reconcile(renew: boolean): Promise<void> {
    if (this.clock.wallSteppedAhead()) {
      // Split at the step: what ran before it ends now, what runs goes on from the corrected time.
      const open = await this.store.openIntervals();
      await this.store.close(open.map((o) => o.id), this.clock.now(), 'clock step');
      this.clock.followWall();
    }
    const live = await this.options.live();
    const now = this.clock.now();
    const open = await this.store.openIntervals();
    const liveKeys = new Set(live.map((s) => subjectKey(s.kind, s.id)));
    const openKeys = new Set(open.map((o) => subjectKey(o.kind, o.subject)));
    const ended = open.filter((o) => !liveKeys.has(subjectKey(o.kind, o.subject)));
    for (const kind of ['instance', 'process'] as const) {
      const ids = ended.filter((o) => o.kind === kind).map((o) => o.id);
      if (ids.length) await this.store.close(ids, now, kind === 'instance' ? 'disconnected' : 'stopped');
    }
    const fresh = live.filter((s) => !openKeys.has(subjectKey(s.kind, s.id)));
    if (fresh.length) {
      const seen = await this.store.seenBefore(fresh);
      await this.store.open(fresh.map((subject) => ({ subject, startMs: seen.has(subjectKey(subject.kind, subject.id)) ? now : this.backdated(subject, now) })), now);
    }
    if (renew) {
      await this.store.renew(now);
      this.options.onHeartbeat?.(now);
    }
  }

  /**
   * A process found for the first time started when its row was made (the rollout inserts it
   * before the agent starts it, and tells no hook): that long ago by the wall clock, never before
   * this server's start nor after now.
   */
  private backdated(subject: Subject, now: number): number {
    if (subject.since === undefined) return now;
    const ago = Math.max(0, Date.now() - subject.since);
    return Math.max(this.startedAt, now - ago);
  }
}
