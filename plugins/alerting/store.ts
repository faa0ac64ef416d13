// Alerting's tables (migrations/001-alerting.ts). Notifier settings are sealed with the server's key,
// bound to the notifier's name; only `shown` (no secret) ever leaves this module unsealed.
import { openSecret, sealSecret, type Db } from '../../server/plugin-api.ts';
import type { AlertEvent, AlertState, BuiltinName, Delivery, NotifierRow, Rule, RuleState } from './types.ts';

const aad = (name: string) => `alert_notifier:${name}:settings`;

// ── notifiers ──────────────────────────────────────────────────────────────────────────────────
const toNotifier = (r: Record<string, any>): NotifierRow => ({
  id: Number(r.id), name: r.name, kind: r.kind, settings: r.settings, shown: r.shown, isDefault: Boolean(r.is_default), createdBy: r.created_by, createdAt: r.created_at,
});

export async function listNotifiers(db: Db): Promise<NotifierRow[]> {
  return (await db('alert_notifiers').orderBy('name')).map(toNotifier);
}

export async function findNotifier(db: Db, name: string): Promise<NotifierRow | undefined> {
  const row = await db('alert_notifiers').where({ name }).first();
  return row ? toNotifier(row) : undefined;
}

export async function findNotifierById(db: Db, id: number): Promise<NotifierRow | undefined> {
  const row = await db('alert_notifiers').where({ id }).first();
  return row ? toNotifier(row) : undefined;
}

export function notifierSettings(db: Db, notifier: NotifierRow): Record<string, string> {
  return JSON.parse(openSecret(db, notifier.settings, aad(notifier.name))) as Record<string, string>;
}

export async function insertNotifier(db: Db, n: { name: string; kind: string; settings: Record<string, string>; shown: string; isDefault: boolean; createdBy: string }): Promise<void> {
  await db('alert_notifiers').insert({
    name: n.name, kind: n.kind, settings: sealSecret(db, JSON.stringify(n.settings), aad(n.name)), shown: n.shown.slice(0, 300),
    is_default: n.isDefault, created_by: n.createdBy, created_at: new Date().toISOString(),
  });
}

export async function deleteNotifier(db: Db, name: string): Promise<boolean> {
  return (await db('alert_notifiers').where({ name }).delete()) > 0;
}

// ── rules ──────────────────────────────────────────────────────────────────────────────────────
const toRule = (r: Record<string, any>): Rule => ({
  id: Number(r.id), builtin: r.builtin ?? null,
  scope: {
    kind: r.scope_kind, name: r.scope_name,
    ...(r.scope_type ? { type: r.scope_type } : {}), ...(r.scope_role ? { role: r.scope_role } : {}), ...(r.scope_instance ? { instance: r.scope_instance } : {}),
  },
  metric: r.metric, op: r.op, threshold: Number(r.threshold), forMs: Number(r.for_ms), notify: JSON.parse(r.notify) as string[],
  enabled: Boolean(r.enabled), createdBy: r.created_by, createdAt: r.created_at,
});

export async function listRules(db: Db, scope?: { kind: 'app' | 'cluster'; name: string }): Promise<Rule[]> {
  const q = db('alert_rules').orderBy('id');
  if (scope) q.where({ scope_kind: scope.kind, scope_name: scope.name });
  return (await q).map(toRule);
}

export async function findRule(db: Db, id: number): Promise<Rule | undefined> {
  const row = await db('alert_rules').where({ id }).first();
  return row ? toRule(row) : undefined;
}

export async function insertRule(db: Db, rule: Omit<Rule, 'id' | 'createdAt' | 'enabled'>): Promise<number> {
  const [row] = await db('alert_rules').insert({
    builtin: rule.builtin, scope_kind: rule.scope.kind, scope_name: rule.scope.name,
    scope_type: rule.scope.type ?? null, scope_role: rule.scope.role ?? null, scope_instance: rule.scope.instance ?? null,
    metric: rule.metric, op: rule.op, threshold: rule.threshold, for_ms: rule.forMs, notify: JSON.stringify(rule.notify),
    enabled: true, created_by: rule.createdBy, created_at: new Date().toISOString(),
  }).returning('id');
  return Number(typeof row === 'object' ? row.id : row);
}

/** The built-in rules exist once each (ignored when already there: a restart keeps their settings). */
export async function ensureBuiltin(db: Db, rule: Omit<Rule, 'id' | 'createdAt' | 'enabled' | 'createdBy'> & { builtin: BuiltinName }): Promise<void> {
  const existing = await db('alert_rules').where({ builtin: rule.builtin }).first('id');
  if (existing) return;
  await insertRule(db, { ...rule, createdBy: 'scalarium' }).catch(async (error: Error) => {
    if (!(await db('alert_rules').where({ builtin: rule.builtin }).first('id'))) throw error; // else another start won the race
  });
}

export async function setRuleEnabled(db: Db, id: number, enabled: boolean): Promise<void> {
  await db('alert_rules').where({ id }).update({ enabled });
  if (!enabled) await db('alert_states').where({ rule_id: id }).delete();
}

export async function deleteRule(db: Db, id: number): Promise<void> {
  await db.transaction(async (trx) => {
    const events = trx('alert_events').where({ rule_id: id }).select('id');
    await trx('alert_deliveries').whereIn('event_id', events).delete();
    await trx('alert_events').where({ rule_id: id }).delete();
    await trx('alert_states').where({ rule_id: id }).delete();
    await trx('alert_rules').where({ id }).delete();
  });
}

/**
 * An app or cluster is gone: its rules, the built-in alerts' states about it and every event about
 * it go, so a new one of the same name starts with no history (it may belong to someone else).
 */
export async function deleteScope(db: Db, kind: 'app' | 'cluster', name: string): Promise<void> {
  for (const rule of await listRules(db, { kind, name })) await deleteRule(db, rule.id);
  await db.transaction(async (trx) => {
    const events = trx('alert_events').where({ scope_kind: kind, scope_name: name }).select('id');
    await trx('alert_deliveries').whereIn('event_id', events).delete();
    await trx('alert_events').where({ scope_kind: kind, scope_name: name }).delete();
    // Built-in alerts' subjects: the app, or its process types ("shop/web").
    if (kind === 'app') await trx('alert_states').where('subject', name).orWhere('subject', 'like', `${name}/%`).delete();
  });
}

export async function countRules(db: Db, scope: { kind: 'app' | 'cluster'; name: string }): Promise<number> {
  const [{ n }] = await db('alert_rules').where({ scope_kind: scope.kind, scope_name: scope.name }).count({ n: '*' });
  return Number(n);
}

/** Deliveries a stopped or crashed server was sending go out again (at least once). */
export async function requeueSending(db: Db): Promise<void> {
  await db('alert_deliveries').where({ status: 'sending' }).update({ status: 'pending' });
}

/** Takes a due delivery for this server: false when another took it first. */
export async function claimDelivery(db: Db, id: number): Promise<boolean> {
  return (await db('alert_deliveries').where({ id, status: 'pending' }).update({ status: 'sending' })) === 1;
}

// ── states ─────────────────────────────────────────────────────────────────────────────────────
const toState = (r: Record<string, any>): RuleState => ({ ruleId: Number(r.rule_id), subject: r.subject, state: r.state, since: r.since, value: r.value === null ? null : Number(r.value) });

export async function listStates(db: Db, ruleIds?: number[]): Promise<RuleState[]> {
  const q = db('alert_states');
  if (ruleIds) q.whereIn('rule_id', ruleIds);
  return (await q).map(toState);
}

export async function putState(db: Db, s: RuleState): Promise<void> {
  if (s.state === 'ok') {
    await db('alert_states').where({ rule_id: s.ruleId, subject: s.subject }).delete();
    return;
  }
  await db('alert_states').insert({ rule_id: s.ruleId, subject: s.subject, state: s.state, since: s.since, value: s.value })
    .onConflict(['rule_id', 'subject']).merge();
}

// ── events and deliveries ─────────────────────────────────────────────────────────────────────
const toEvent = (r: Record<string, any>): AlertEvent => ({
  id: Number(r.id), ruleId: Number(r.rule_id), subject: r.subject, scope: { kind: r.scope_kind, name: r.scope_name },
  state: r.state, value: r.value === null ? null : Number(r.value), title: r.title, text: r.text, at: r.at,
});

/** A transition, its state and one pending delivery per notifier, at once: none is lost to a crash between them. */
export async function recordTransition(db: Db, state: RuleState & { state: AlertState }, event: Omit<AlertEvent, 'id'>, notifierIds: number[]): Promise<number> {
  return db.transaction(async (trx) => {
    await putState(trx as unknown as Db, state);
    const [row] = await trx('alert_events').insert({
      rule_id: event.ruleId, subject: event.subject, scope_kind: event.scope.kind, scope_name: event.scope.name,
      state: event.state, value: event.value, title: event.title, text: event.text, at: event.at,
    }).returning('id');
    const id = Number(typeof row === 'object' ? row.id : row);
    const now = Date.now();
    if (notifierIds.length) await trx('alert_deliveries').insert(notifierIds.map((n) => ({ event_id: id, notifier_id: n, status: 'pending', attempts: 0, next_at: now })));
    return id;
  });
}

export async function listEvents(db: Db, scope: { kind: string; name: string } | undefined, limit: number): Promise<AlertEvent[]> {
  const q = db('alert_events').orderBy('id', 'desc').limit(limit);
  if (scope) q.where({ scope_kind: scope.kind, scope_name: scope.name });
  return (await q).map(toEvent);
}

export async function findEvent(db: Db, id: number): Promise<AlertEvent | undefined> {
  const row = await db('alert_events').where({ id }).first();
  return row ? toEvent(row) : undefined;
}

const toDelivery = (r: Record<string, any>): Delivery => ({
  id: Number(r.id), eventId: Number(r.event_id), notifierId: Number(r.notifier_id), status: r.status, attempts: Number(r.attempts),
  nextAt: Number(r.next_at), lastError: r.last_error, doneAt: r.done_at,
});

export async function dueDeliveries(db: Db, now: number, exclude: Iterable<number>, limit = 50): Promise<Delivery[]> {
  return (await db('alert_deliveries').where({ status: 'pending' }).where('next_at', '<=', now).whereNotIn('id', [...exclude]).orderBy('id').limit(limit)).map(toDelivery);
}

export async function deliveriesOf(db: Db, eventIds: number[]): Promise<Array<Delivery & { notifier: string }>> {
  if (!eventIds.length) return [];
  const rows = await db('alert_deliveries').join('alert_notifiers', 'alert_notifiers.id', 'alert_deliveries.notifier_id')
    .whereIn('event_id', eventIds).select('alert_deliveries.*', 'alert_notifiers.name as notifier_name').orderBy('alert_deliveries.id');
  return rows.map((r: Record<string, any>) => ({ ...toDelivery(r), notifier: r.notifier_name }));
}

export async function updateDelivery(db: Db, id: number, change: Partial<Pick<Delivery, 'status' | 'attempts' | 'nextAt' | 'lastError' | 'doneAt'>>): Promise<void> {
  const row: Record<string, unknown> = {};
  if (change.status !== undefined) row.status = change.status;
  if (change.attempts !== undefined) row.attempts = change.attempts;
  if (change.nextAt !== undefined) row.next_at = change.nextAt;
  if (change.lastError !== undefined) row.last_error = change.lastError;
  if (change.doneAt !== undefined) row.done_at = change.doneAt;
  await db('alert_deliveries').where({ id }).update(row);
}

