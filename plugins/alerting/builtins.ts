// The alerts every server has without anyone writing a rule; an admin turns each off or on
// (`scalarium alerts:builtin NAME --off`). They go to the default notifiers.
import type { BuiltinName, Rule } from './types.ts';

type Builtin = Omit<Rule, 'id' | 'createdAt' | 'enabled' | 'createdBy'> & { builtin: BuiltinName; summary: string };

const server = { kind: 'server' as const, name: '' };

export const BUILTINS: readonly Builtin[] = [
  { builtin: 'instance_unreachable', scope: server, metric: 'instance_unreachable', op: 'above', threshold: 0, forMs: 60_000, notify: [], summary: 'an instance\'s agent or router has been disconnected for a minute (not one being stopped)' },
  { builtin: 'crash_loop', scope: server, metric: 'crashes', op: 'above', threshold: 2, forMs: 0, notify: [], summary: 'a process type crashed 3 times within 5 minutes (resolved after 5 minutes without a crash)' },
  { builtin: 'deploy_failed', scope: server, metric: 'deploy_failed', op: 'above', threshold: 0, forMs: 0, notify: [], summary: 'a deploy failed (resolved by the next deploy that goes live)' },
  { builtin: 'error_rate', scope: server, metric: 'error_rate_percent', op: 'above', threshold: 5, forMs: 5 * 60_000, notify: [], summary: 'over 5 % of an app\'s responses were 5xx for 5 minutes' },
];

export const builtinOf = (name: string): Builtin | undefined => BUILTINS.find((b) => b.builtin === name);
