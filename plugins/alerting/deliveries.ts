// Sends each transition to each of its notifiers, independently: a notifier that is slow or down
// holds up only its own deliveries. A failed send is retried with exponential backoff, then marked
// failed in the history; every delivery is a row, so a restart goes on where it stopped.
import type { NotifierKind, Scalarium } from '../../server/plugin-api.ts';
import { claimDelivery, dueDeliveries, findEvent, findNotifierById, findRule, notifierSettings, requeueSending, updateDelivery } from './store.ts';
import type { Delivery } from './types.ts';

export interface DeliveryOptions {
  /** a send that takes longer fails (and is retried) */
  timeoutMs: number;
  /** the first retry waits this long, each next one twice as long (at most an hour) */
  retryBaseMs: number;
  /** attempts before a delivery is marked failed */
  maxAttempts: number;
}

export class Dispatcher {
  private readonly inFlight = new Map<number, Promise<void>>();
  private readonly stopping = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly scalarium: Scalarium, private readonly options: DeliveryOptions, private readonly baseUrl: () => string | undefined) {}

  /** Looks for due deliveries now (after a transition) and then every second. */
  wake(): void {
    if (this.stopping.signal.aborted) return;
    this.running ??= this.sendDue().finally(() => {
      this.running = undefined;
    });
  }

  async start(): Promise<void> {
    await requeueSending(this.scalarium.db);
    this.timer = setInterval(() => this.wake(), 1000);
    this.timer.unref();
    this.wake();
  }

  /** Sends under way are cut short (and go out again after a restart): nothing outlives the database. */
  async close(): Promise<void> {
    this.stopping.abort(new Error('the server is stopping'));
    clearInterval(this.timer);
    await this.running;
    await Promise.allSettled([...this.inFlight.values()]);
  }

  private async sendDue(): Promise<void> {
    const due = await dueDeliveries(this.scalarium.db, Date.now(), this.inFlight.keys()).catch(() => []);
    for (const delivery of due) {
      // Claimed in the database: another server sharing it (or a second look of this one) skips it.
      if (this.stopping.signal.aborted || !(await claimDelivery(this.scalarium.db, delivery.id).catch(() => false))) continue;
      const sending = this.send(delivery)
        .catch((error: Error) => this.scalarium.say(`alerting: delivery ${delivery.id}: ${error.message}`))
        .finally(() => this.inFlight.delete(delivery.id));
      this.inFlight.set(delivery.id, sending);
    }
  }

  private async send(delivery: Delivery): Promise<void> {
    const { db } = this.scalarium;
    const [notifier, event] = await Promise.all([findNotifierById(db, delivery.notifierId), findEvent(db, delivery.eventId)]);
    if (!notifier || !event) return; // removed meanwhile: the cascade takes the row
    const kind = this.scalarium.hooks.notifierKinds.call([]).find((k: NotifierKind) => k.kind === notifier.kind);
    const attempts = delivery.attempts + 1;
    try {
      if (!kind) throw new Error(`no plugin for notifiers of kind ${notifier.kind} is loaded`);
      const rule = await findRule(db, event.ruleId);
      const base = this.baseUrl();
      const signal = AbortSignal.any([AbortSignal.timeout(this.options.timeoutMs), this.stopping.signal]);
      await kind.send(notifierSettings(db, notifier), {
        state: event.state, title: event.title, text: event.text, value: event.value, at: event.at,
        rule: { id: event.ruleId, name: rule?.builtin ?? `rule ${event.ruleId}`, metric: rule?.metric ?? '', scope: event.scope.kind === 'app' ? { app: event.scope.name } : { cluster: event.scope.name } },
        ...(base ? { url: `${base}/${event.scope.kind === 'app' ? 'apps' : 'clusters'}/${encodeURIComponent(event.scope.name)}/alerts` } : {}),
      }, signal);
      await updateDelivery(db, delivery.id, { status: 'sent', attempts, doneAt: new Date().toISOString(), lastError: null });
    } catch (error) {
      if (this.stopping.signal.aborted) return; // left "sending": the next start sends it again
      const why = (error as Error).name === 'TimeoutError' ? `no answer within ${this.options.timeoutMs / 1000} s` : String((error as Error).message ?? error).slice(0, 500);
      const failed = attempts >= this.options.maxAttempts;
      const wait = Math.min(this.options.retryBaseMs * 2 ** (attempts - 1), 3_600_000);
      await updateDelivery(db, delivery.id, failed
        ? { status: 'failed', attempts, lastError: why, doneAt: new Date().toISOString() }
        : { status: 'pending', attempts, lastError: why, nextAt: Date.now() + wait });
      if (failed) this.scalarium.say(`alerting: "${event.title}" could not be sent to ${notifier.name} after ${attempts} attempts: ${why}`);
    }
  }
}
