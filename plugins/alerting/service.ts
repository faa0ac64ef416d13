// What the API, the pages and the CLI do with alerts: rules and their states for an app or a
// cluster (or all a principal may see), adding and removing rules (manager), the history, the
// notifiers (admin adds and removes; anyone may see their names and what they send to, never a
// secret) and the built-in alerts (admin turns them off and on). Every change writes an audit row.
import { audit, isValidName, type NotifierKind, type Principal, type Scalarium } from '../../server/plugin-api.ts';
import { builtinOf } from './builtins.ts';
import { formatDuration } from '../../server/plugin-api.ts';
import { badNotifier, notifierExists, notifierInUse, notifierNotFound, ruleNotFound, tooManyRules, unknownBuiltin } from './errors.ts';
import { ruleText } from './messages.ts';
import { checkRule, type RuleInput } from './rule-input.ts';
import {
  countRules, deleteNotifier, deleteRule, deliveriesOf, findNotifier, findRule, insertNotifier, insertRule, listEvents, listNotifiers, listRules, listStates, notifierSettings, setRuleEnabled,
} from './store.ts';
import type { AlertState, Rule } from './types.ts';

export type Scope = { kind: 'app' | 'cluster'; name: string };

export interface RuleView {
  id: number; builtin: string | null; scope: Rule['scope']; metric: string; op: string; threshold: number; for: string; notify: string[];
  enabled: boolean; summary: string; createdBy: string; createdAt: string;
  /** the worst state of its subjects, and since when */
  state: AlertState; since: string | null; value: number | null;
  subjects: Array<{ subject: string; state: AlertState; since: string; value: number | null }>;
}

export async function ruleViews(scalarium: Scalarium, rules: Rule[], subjectFilter?: (subject: string) => boolean): Promise<RuleView[]> {
  const states = await listStates(scalarium.db, rules.map((r) => r.id));
  const units = new Map(scalarium.hooks.metricCatalogue.call([]).map((m) => [m.name, m.unit]));
  return rules.map((rule) => {
    const mine = states.filter((s) => s.ruleId === rule.id && (!rule.builtin || !subjectFilter || subjectFilter(s.subject)));
    const worst = mine.find((s) => s.state === 'firing') ?? mine.find((s) => s.state === 'pending');
    return {
      id: rule.id, builtin: rule.builtin, scope: rule.scope, metric: rule.metric, op: rule.op, threshold: rule.threshold, for: formatDuration(rule.forMs),
      notify: rule.notify, enabled: rule.enabled, createdBy: rule.createdBy, createdAt: rule.createdAt,
      summary: rule.builtin ? builtinOf(rule.builtin)?.summary ?? rule.builtin : ruleText(rule, units.get(rule.metric)),
      state: worst?.state ?? 'ok', since: worst?.since ?? null, value: worst?.value ?? null,
      subjects: mine.map((s) => ({ subject: s.subject, state: s.state, since: s.since, value: s.value })),
    };
  });
}

/** An app's or a cluster's rules, and the built-in alerts as they stand for it. */
export async function alertsOf(scalarium: Scalarium, scope: Scope): Promise<RuleView[]> {
  const own = await listRules(scalarium.db, scope);
  const builtins = (await listRules(scalarium.db)).filter((r) => r.builtin);
  const aboutScope = scope.kind === 'app'
    ? (subject: string) => subject === scope.name || subject.startsWith(`${scope.name}/`)
    : () => false;
  const views = await ruleViews(scalarium, own);
  const shown = await ruleViews(scalarium, builtins, aboutScope);
  // A cluster's built-ins are about its instances: the events say which.
  return [...views, ...shown];
}

/** Rules per app or cluster: every rule is evaluated every interval, for every app, in one run. */
export const MAX_RULES = 50;

export async function addRule(scalarium: Scalarium, principal: Principal, scope: Scope, input: RuleInput): Promise<RuleView> {
  if ((await countRules(scalarium.db, scope)) >= MAX_RULES) throw tooManyRules({ max: MAX_RULES, where: `${scope.kind} ${scope.name}` });
  const checked = await checkRule(scalarium.db, scalarium.hooks.metricCatalogue.call([]), scope, input);
  const id = await insertRule(scalarium.db, { ...checked, createdBy: principal.user.name });
  const rule = (await findRule(scalarium.db, id))!;
  await audit(scalarium, principal, 'alert.add', scope.name, { detail: { id, rule: ruleText(rule), notify: rule.notify } });
  return (await ruleViews(scalarium, [rule]))[0]!;
}

export async function removeRule(scalarium: Scalarium, principal: Principal, scope: Scope, id: number): Promise<void> {
  const rule = Number.isInteger(id) ? await findRule(scalarium.db, id) : undefined;
  if (!rule || rule.builtin || rule.scope.kind !== scope.kind || rule.scope.name !== scope.name) throw ruleNotFound({ id: String(id) });
  await deleteRule(scalarium.db, rule.id);
  await audit(scalarium, principal, 'alert.remove', scope.name, { detail: { id, rule: ruleText(rule) } });
}

/**
 * The transitions, newest first, with each delivery's outcome. A delivery's error names where it
 * went (a mail server, an address): only admins, who manage the notifiers, read it.
 */
export async function historyOf(scalarium: Scalarium, scope: Scope | undefined, limit = 100, admin = false) {
  const events = await listEvents(scalarium.db, scope, Math.min(Math.max(limit, 1), 500));
  const deliveries = await deliveriesOf(scalarium.db, events.map((e) => e.id));
  return events.map((e) => ({
    ...e,
    deliveries: deliveries.filter((d) => d.eventId === e.id).map((d) => ({
      notifier: d.notifier, status: d.status, attempts: d.attempts, error: d.lastError === null ? null : admin ? d.lastError : 'failed (an admin sees why on the Alerts page)', at: d.doneAt,
    })),
  }));
}

// ── notifiers ──────────────────────────────────────────────────────────────────────────────────
export const notifierKinds = (scalarium: Scalarium): NotifierKind[] => scalarium.hooks.notifierKinds.call([]);

/** The notifiers: where each sends (an address, a webhook's host) for admins only; names and kinds for everyone. */
export async function notifierViews(scalarium: Scalarium, admin: boolean) {
  return (await listNotifiers(scalarium.db)).map((n) => ({
    name: n.name, kind: n.kind, sendsTo: admin ? n.shown : '(shown to admins)', default: n.isDefault, createdBy: n.createdBy, createdAt: n.createdAt,
  }));
}

export interface NotifierInput { name?: unknown; kind?: unknown; default?: unknown; [field: string]: unknown }

export async function addNotifier(scalarium: Scalarium, principal: Principal, input: NotifierInput) {
  const kinds = notifierKinds(scalarium);
  const known = kinds.map((k) => `${k.kind} (${k.help})`).join('; ') || 'none (no notifier plugin is loaded)';
  if (typeof input.name !== 'string' || !isValidName(input.name)) throw badNotifier({ why: `"${String(input.name ?? '')}" is not a valid notifier name: lower-case letters, digits and dashes`, kinds: known });
  // The kind is named, or implied by its field (--webhook URL, --email ADDRESS).
  const kind = kinds.find((k) => k.kind === input.kind) ?? (input.kind === undefined ? kinds.find((k) => input[k.kind] !== undefined) : undefined);
  if (!kind) throw badNotifier({ why: input.kind === undefined ? 'say what kind of notifier it is' : `there is no notifier kind "${String(input.kind)}"`, kinds: known });
  if (await findNotifier(scalarium.db, input.name)) throw notifierExists({ name: input.name });
  const settings = await kind.settings(input);
  const shown = kind.describe(settings);
  await insertNotifier(scalarium.db, { name: input.name, kind: kind.kind, settings, shown, isDefault: input.default === true || input.default === 'true' || input.default === 'on', createdBy: principal.user.name });
  await audit(scalarium, principal, 'notifier.add', input.name, { detail: { kind: kind.kind, sendsTo: shown } });
  return (await notifierViews(scalarium, true)).find((n) => n.name === input.name)!;
}

export async function removeNotifier(scalarium: Scalarium, principal: Principal, name: string): Promise<void> {
  if (!(await findNotifier(scalarium.db, name))) throw notifierNotFound({ name });
  const users = (await listRules(scalarium.db)).filter((r) => r.notify.includes(name)).map((r) => r.id);
  if (users.length) throw notifierInUse({ name, rules: users.join(', ') });
  await deleteNotifier(scalarium.db, name);
  await audit(scalarium, principal, 'notifier.remove', name);
}

/** Sends a test message through a notifier now (no retry): what a user does after adding one. */
export async function testNotifier(scalarium: Scalarium, principal: Principal, name: string, timeoutMs: number): Promise<{ sent: boolean; error?: string }> {
  const notifier = await findNotifier(scalarium.db, name);
  if (!notifier) throw notifierNotFound({ name });
  const kind = notifierKinds(scalarium).find((k) => k.kind === notifier.kind);
  try {
    if (!kind) throw new Error(`no plugin for notifiers of kind ${notifier.kind} is loaded`);
    await kind.send(notifierSettings(scalarium.db, notifier), {
      state: 'firing', title: `TEST from Scalarium: notifier ${name} works`, text: `${principal.user.name} sent this test message with \`scalarium notifiers:test ${name}\`.`,
      rule: { id: 0, name: 'test', metric: '', scope: {} }, value: null, at: new Date().toISOString(),
    }, AbortSignal.timeout(timeoutMs));
    await audit(scalarium, principal, 'notifier.test', name);
    return { sent: true };
  } catch (error) {
    await audit(scalarium, principal, 'notifier.test', name, { outcome: 'failed' });
    return { sent: false, error: String((error as Error).message ?? error).slice(0, 500) };
  }
}

// ── built-ins ──────────────────────────────────────────────────────────────────────────────────
export async function setBuiltin(scalarium: Scalarium, principal: Principal, name: string, enabled: boolean): Promise<RuleView> {
  if (!builtinOf(name)) throw unknownBuiltin({ name });
  const rule = (await listRules(scalarium.db)).find((r) => r.builtin === name)!;
  await setRuleEnabled(scalarium.db, rule.id, enabled);
  await audit(scalarium, principal, enabled ? 'alert.builtin.on' : 'alert.builtin.off', name);
  return (await ruleViews(scalarium, [(await findRule(scalarium.db, rule.id))!]))[0]!;
}

