// A user's alert rule as the API, the CLI and the form give it, checked: a metric the server can
// answer for this kind of scope, exactly one of above/below with a number, a duration, notifiers
// that exist. Nothing is stored unless all of it holds.
import { isValidName, type Db, type MetricInfo } from '../../server/plugin-api.ts';
import { parseDuration } from '../../server/plugin-api.ts';
import { badDuration, badScope, badThreshold, unknownMetric, unknownNotifier } from './errors.ts';
import { findNotifier } from './store.ts';
import type { Comparison, Rule } from './types.ts';

export interface RuleInput { metric?: unknown; above?: unknown; below?: unknown; for?: unknown; type?: unknown; role?: unknown; instance?: unknown; notify?: unknown }

const given = (v: unknown) => v !== undefined && v !== null && v !== '';

function threshold(input: RuleInput): { op: Comparison; threshold: number } {
  if (given(input.above) === given(input.below)) throw badThreshold({ value: given(input.above) ? `${String(input.above)} and ${String(input.below)}` : '' });
  const op: Comparison = given(input.above) ? 'above' : 'below';
  const raw = op === 'above' ? input.above : input.below;
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isFinite(n)) throw badThreshold({ value: String(raw) });
  return { op, threshold: n };
}

function optionalName(value: unknown, what: string): string | undefined {
  if (!given(value)) return undefined;
  if (typeof value !== 'string' || !isValidName(value)) throw badScope({ why: `${what} "${String(value)}" is not a valid name`, hint: 'Names are lower-case letters, digits and dashes.' });
  return value;
}

function notifierNames(value: unknown): string[] {
  if (!given(value)) return [];
  const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : [value];
  return list.map((v) => String(v).trim()).filter(Boolean);
}

export async function checkRule(db: Db, catalogue: MetricInfo[], scope: { kind: 'app' | 'cluster'; name: string }, input: RuleInput): Promise<Omit<Rule, 'id' | 'createdAt' | 'enabled' | 'createdBy'>> {
  const usable = catalogue.filter((m) => m.about === scope.kind);
  const metric = usable.find((m) => m.name === input.metric);
  if (!metric) throw unknownMetric({ metric: String(input.metric ?? ''), about: scope.kind, known: usable.map((m) => m.name).join(', ') || 'none (is the monitoring plugin loaded?)' });
  const { op, threshold: value } = threshold(input);
  const forMs = given(input.for) ? parseDuration(input.for) : 0;
  if (forMs === undefined) throw badDuration({ value: String(input.for) });
  const type = optionalName(input.type, 'process type');
  const role = optionalName(input.role, 'role');
  const instance = given(input.instance) && typeof input.instance === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(input.instance) ? input.instance : undefined;
  if (given(input.instance) && !instance) throw badScope({ why: `instance "${String(input.instance)}" is not an instance id`, hint: 'Instance ids are listed by `scalarium clusters:info NAME`.' });
  if (scope.kind === 'app' && (role || instance)) throw badScope({ why: 'an app\'s rule is about the app or one of its process types (--type), not a role or an instance', hint: 'Put role and instance rules on the cluster: --cluster NAME.' });
  if (scope.kind === 'cluster' && type) throw badScope({ why: 'a cluster\'s rule is about the cluster, a role (--role) or an instance (--instance), not a process type', hint: 'Put process type rules on the app: --app NAME --type web.' });
  const notify = notifierNames(input.notify);
  for (const name of notify) if (!(await findNotifier(db, name))) throw unknownNotifier({ name });
  return {
    builtin: null, scope: { kind: scope.kind, name: scope.name, ...(type ? { type } : {}), ...(role ? { role } : {}), ...(instance ? { instance } : {}) },
    metric: metric.name, op, threshold: value, forMs, notify,
  };
}
