// Alerting's errors: what was wrong with a rule or a notifier, and what to do instead.
import { pluginError } from '../../server/plugin-api.ts';

const P = 'alerting';
const s = (v: unknown) => String(v ?? '');

export const unknownMetric = pluginError(P, 'unknown_metric', {
  status: 400, message: (p) => `there is no metric "${s(p.metric)}"${p.about ? ` for ${s(p.about)}s` : ''}`, hint: (p) => `Metrics you can alert on: ${s(p.known)}.`,
});
export const badThreshold = pluginError(P, 'bad_threshold', {
  status: 400, message: (p) => `the threshold must be a number, got "${s(p.value)}"`, hint: () => 'Give exactly one of --above N or --below N, e.g. --above 500.',
});
export const badDuration = pluginError(P, 'bad_duration', {
  status: 400, message: (p) => `--for must be a duration such as 30s, 5m or 1h, got "${s(p.value)}"`, hint: () => 'Use a whole number with s, m or h (at most 24h); 0 fires at once.',
});
export const badScope = pluginError(P, 'bad_scope', { status: 400, message: (p) => s(p.why), hint: (p) => s(p.hint) });
export const unknownNotifier = pluginError(P, 'unknown_notifier', {
  status: 400, message: (p) => `there is no notifier "${s(p.name)}"`, hint: () => 'List them with `scalarium notifiers`; an admin adds one with `scalarium notifiers:add NAME --webhook URL` (or --email ADDRESS).',
});
export const ruleNotFound = pluginError(P, 'rule_not_found', {
  status: 404, message: (p) => `there is no alert rule ${s(p.id)} here`, hint: () => 'List the rules with `scalarium alerts`.',
});
export const notifierExists = pluginError(P, 'notifier_exists', {
  status: 409, message: (p) => `a notifier named "${s(p.name)}" exists already`, hint: () => 'Remove it first (`scalarium notifiers:remove NAME`) or pick another name.',
});
export const notifierNotFound = pluginError(P, 'notifier_not_found', {
  status: 404, message: (p) => `there is no notifier "${s(p.name)}"`, hint: () => 'List them with `scalarium notifiers`.',
});
export const badNotifier = pluginError(P, 'bad_notifier', {
  status: 400, message: (p) => s(p.why), hint: (p) => `Kinds this server knows: ${s(p.kinds)}.`,
});
export const notifierInUse = pluginError(P, 'notifier_in_use', {
  status: 409, message: (p) => `notifier "${s(p.name)}" is used by alert rule(s) ${s(p.rules)}`, hint: () => 'Remove those rules, or add them again without it, then remove the notifier.',
});
export const unknownBuiltin = pluginError(P, 'unknown_builtin', {
  status: 404, message: (p) => `there is no built-in alert "${s(p.name)}"`, hint: () => 'Built-in alerts: instance_unreachable, crash_loop, deploy_failed, error_rate.',
});
export const tooManyRules = pluginError(P, 'too_many_rules', {
  status: 409, message: (p) => `${s(p.where)} has ${s(p.max)} alert rules, as many as it may`, hint: () => 'Remove one you no longer need (`scalarium alerts:remove ID`).',
});
