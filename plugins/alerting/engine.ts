// Decides alerts: every interval each enabled metric rule is asked of the metrics (metricValue hook)
// and stepped (state-machine.ts); the built-in event alerts step when their events arrive (a
// deploy failed, a process crashed, an instance went away). Each transition is one row with its
// deliveries, written at once, then handed to the dispatcher.
import { findClusterById, findInstance, listApps, listInstances, type MetricInfo, type Scalarium } from '../../server/plugin-api.ts';
import type { Dispatcher } from './deliveries.ts';
import { metricMessage } from './messages.ts';
import { breaks, step } from './state-machine.ts';
import { listNotifiers, listRules, listStates, putState, recordTransition } from './store.ts';
import type { AlertState, BuiltinName, Rule, RuleState } from './types.ts';

const CRASH_WINDOW_MS = 5 * 60_000;

export class AlertEngine {
  private readonly crashes = new Map<string, number[]>();
  private readonly disconnected = new Map<string, { since: number; cluster: string }>();
  private ticking: Promise<void> | undefined;
  // Transitions take turns: two crashes reported at once must not both find the state "ok".
  private turn: Promise<void> = Promise.resolve();
  private readonly startedAt: number;

  constructor(
    private readonly scalarium: Scalarium,
    private readonly dispatcher: Dispatcher,
    /** what a rule's figure is read over (SCALARIUM_ALERT_WINDOW, a minute by default) */
    private readonly windowMs: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.startedAt = clock();
  }

  catalogue(): MetricInfo[] {
    return this.scalarium.hooks.metricCatalogue.call([]);
  }

  /** One evaluation of every metric rule and time-based built-in; overlapping calls share one run. */
  tick(): Promise<void> {
    this.ticking ??= this.evaluate().finally(() => {
      this.ticking = undefined;
    });
    return this.ticking;
  }

  /** Waits for an evaluation and the transitions under way (the server is stopping). */
  async settled(): Promise<void> {
    await this.ticking?.catch(() => undefined);
    await this.turn.catch(() => undefined);
  }

  // ── events ───────────────────────────────────────────────────────────────────────────────────
  async deployOutcome(app: string, error: Error | undefined): Promise<void> {
    const rule = await this.builtin('deploy_failed');
    if (!rule) return;
    await this.observe(rule, app, { kind: 'app', name: app }, Boolean(error), null, error ? { title: `FIRING app ${app}: deploy failed`, text: `A deploy of ${app} failed: ${error.message}` } : { title: `RESOLVED app ${app}: deploy failed`, text: `A deploy of ${app} went live again.` });
  }

  async processCrashed(app: string, type: string, reason: string | undefined): Promise<void> {
    const key = `${app}/${type}`;
    const now = this.clock();
    const list = (this.crashes.get(key) ?? []).filter((at) => now - at < CRASH_WINDOW_MS);
    list.push(now);
    this.crashes.set(key, list.slice(-100));
    const rule = await this.builtin('crash_loop');
    if (!rule || list.length <= rule.threshold) return;
    await this.observe(rule, key, { kind: 'app', name: app }, true, list.length, {
      title: `FIRING app ${app}: ${type} processes crash in a loop`,
      text: `Processes of type ${type} of ${app} crashed ${list.length} times within 5 minutes${reason ? ` (last: ${reason})` : ''}. See \`scalarium logs --app ${app}\`.`,
    });
  }

  instanceGone(instanceId: string, cluster: string): void {
    this.disconnected.set(instanceId, { since: this.clock(), cluster });
  }

  /** A destroyed app's or cluster's crash counts and unreachable instances: a new one of the name starts clean. */
  forget(kind: 'app' | 'cluster', name: string): void {
    if (kind === 'app') for (const key of this.crashes.keys()) if (key.startsWith(`${name}/`)) this.crashes.delete(key);
    if (kind === 'cluster') for (const [id, gone] of this.disconnected) if (gone.cluster === name) this.disconnected.delete(id);
  }

  async instanceBack(instanceId: string, cluster: string): Promise<void> {
    this.disconnected.delete(instanceId);
    const rule = await this.builtin('instance_unreachable');
    if (rule) await this.observe(rule, instanceId, { kind: 'cluster', name: cluster }, false, null, { title: `RESOLVED instance ${instanceId} of cluster ${cluster} is reachable`, text: `Instance ${instanceId} of cluster ${cluster} is connected again.` });
  }

  // ── the interval ─────────────────────────────────────────────────────────────────────────────
  private async evaluate(): Promise<void> {
    const now = this.clock();
    const rules = (await listRules(this.scalarium.db)).filter((r) => r.enabled);
    const units = new Map(this.catalogue().map((m) => [m.name, m.unit]));
    for (const rule of rules.filter((r) => !r.builtin)) {
      const value = await this.figure(rule.metric, { ...(rule.scope.kind === 'app' ? { app: rule.scope.name } : { cluster: rule.scope.name }), type: rule.scope.type, role: rule.scope.role, instance: rule.scope.instance }, now);
      const holds = breaks(value, rule.op, rule.threshold);
      await this.observe(rule, '', { kind: rule.scope.kind as 'app' | 'cluster', name: rule.scope.name }, holds, value, (state) => metricMessage(rule, '', state, value, units.get(rule.metric)));
    }
    const errorRate = rules.find((r) => r.builtin === 'error_rate');
    if (errorRate) {
      for (const app of await listApps(this.scalarium.db)) {
        const value = await this.figure('error_rate_percent', { app: app.name }, now);
        await this.observe(errorRate, app.name, { kind: 'app', name: app.name }, breaks(value, errorRate.op, errorRate.threshold), value, (state) => metricMessage(errorRate, `app ${app.name}`, state, value, 'percent'));
      }
    }
    const crashLoop = rules.find((r) => r.builtin === 'crash_loop');
    if (crashLoop) {
      for (const s of await listStates(this.scalarium.db, [crashLoop.id])) {
        const recent = (this.crashes.get(s.subject) ?? []).filter((at) => now - at < CRASH_WINDOW_MS);
        if (recent.length) continue;
        const [app = '', type = ''] = s.subject.split('/');
        await this.observe(crashLoop, s.subject, { kind: 'app', name: app }, false, 0, { title: `RESOLVED app ${app}: ${type} processes crash in a loop`, text: `No process of type ${type} of ${app} crashed in the last 5 minutes.` });
      }
    }
    const unreachable = rules.find((r) => r.builtin === 'instance_unreachable');
    if (unreachable) {
      await this.noticeSilentInstances(now);
      for (const [id, gone] of this.disconnected) {
        const instance = await findInstance(this.scalarium.db, id);
        // Stopped, draining or removed on purpose: nobody needs to hear of it (and a firing alert resolves).
        if (!instance || instance.state !== 'online') {
          this.disconnected.delete(id);
          await this.observe(unreachable, id, { kind: 'cluster', name: gone.cluster }, false, null, {
            title: `RESOLVED instance ${id} of cluster ${gone.cluster} is gone`, text: `Instance ${id} of cluster ${gone.cluster} was ${instance ? instance.state : 'removed'}.`,
          });
          continue;
        }
        const cluster = (await findClusterById(this.scalarium.db, instance.clusterId))?.name ?? gone.cluster;
        if (now - gone.since < unreachable.forMs) continue;
        await this.observe(unreachable, id, { kind: 'cluster', name: cluster }, true, null, {
          title: `FIRING instance ${id} of cluster ${cluster} is unreachable`,
          text: `The ${instance.role} instance ${id} of cluster ${cluster} has been disconnected since ${new Date(gone.since).toISOString()}.`,
        });
      }
    }
  }

  /**
   * Instances the database has online but no connection for, which this server never saw go (they
   * went while it was down): their clock starts at the later of their last sign of life and this
   * server's start, so agents get the same minute to reconnect after a server restart.
   */
  private async noticeSilentInstances(now: number): Promise<void> {
    const connected = new Set(this.scalarium.hub.connectedPeers().map((p) => p.instanceId));
    for (const instance of await listInstances(this.scalarium.db)) {
      if (instance.state !== 'online' || connected.has(instance.id) || this.disconnected.has(instance.id)) continue;
      const cluster = (await findClusterById(this.scalarium.db, instance.clusterId))?.name;
      if (!cluster) continue;
      const lastSeen = instance.lastSeenAt ? Date.parse(instance.lastSeenAt) : 0;
      this.disconnected.set(instance.id, { since: Math.min(now, Math.max(lastSeen, this.startedAt)), cluster });
    }
  }

  private async figure(metric: string, scope: Record<string, string | undefined>, now: number): Promise<number | null> {
    const clean = Object.fromEntries(Object.entries(scope).filter(([, v]) => v !== undefined)) as Record<string, string>;
    const answer = await this.scalarium.hooks.metricValue.promise({ metric, scope: clean, windowMs: this.windowMs, now }).catch(() => undefined);
    // No traffic reported is a rate of 0 (a `--below` rule on requests must see it), not "no data".
    if (answer && answer.value === null && answer.unit === 'per_second') return 0;
    return answer?.value ?? null;
  }

  private async builtin(name: BuiltinName): Promise<Rule | undefined> {
    return (await listRules(this.scalarium.db)).find((r) => r.builtin === name && r.enabled);
  }

  /**
   * Steps one rule for one subject. `message` is what the transition says (a function of the new
   * state for metric rules); event alerts fire at once (their rules have no duration).
   */
  private observe(
    rule: Rule, subject: string, about: { kind: 'app' | 'cluster'; name: string }, holds: boolean, value: number | null,
    message: { title: string; text: string } | ((state: 'firing' | 'resolved') => { title: string; text: string }),
  ): Promise<void> {
    const run = () => this.transition(rule, subject, about, holds, value, message);
    const result = this.turn.then(run, run);
    this.turn = result.catch(() => undefined);
    return result;
  }

  private async transition(
    rule: Rule, subject: string, about: { kind: 'app' | 'cluster'; name: string }, holds: boolean, value: number | null,
    message: { title: string; text: string } | ((state: 'firing' | 'resolved') => { title: string; text: string }),
  ): Promise<void> {
    const { db } = this.scalarium;
    const now = this.clock();
    const current = (await listStates(db, [rule.id])).find((s) => s.subject === subject) ?? { ruleId: rule.id, subject, state: 'ok' as AlertState, since: new Date(now).toISOString(), value: null };
    const next = step(current, holds, now, rule.forMs);
    const state: RuleState = { ruleId: rule.id, subject, state: next.state, since: next.since, value };
    if (!next.notify) {
      if (next.state !== current.state || next.since !== current.since || (next.state !== 'ok' && value !== current.value)) await putState(db, state);
      return;
    }
    const said = typeof message === 'function' ? message(next.notify) : message;
    const notifiers = await listNotifiers(db);
    const chosen = rule.notify.length ? notifiers.filter((n) => rule.notify.includes(n.name)) : notifiers.filter((n) => n.isDefault);
    await recordTransition(db, state, {
      ruleId: rule.id, subject, scope: about, state: next.notify, value, title: said.title, text: said.text, at: new Date(now).toISOString(),
    }, chosen.map((n) => n.id));
    if (about.kind === 'app') this.scalarium.hooks.log.call({ app: about.name, source: 'scalarium', line: `alert: ${said.title}`, at: new Date(now).toISOString() });
    this.scalarium.say(`alert: ${said.title}${chosen.length ? ` → ${chosen.map((n) => n.name).join(', ')}` : ' (no notifier)'}`);
    this.dispatcher.wake();
  }
}

