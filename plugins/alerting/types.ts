// What alerting keeps: rules, their states per subject, the transitions (events) and the
// deliveries of each event to each notifier.
import type { MetricScope } from '../../server/plugin-api.ts';

export type AlertState = 'ok' | 'pending' | 'firing';
export type Comparison = 'above' | 'below';
export type BuiltinName = 'instance_unreachable' | 'crash_loop' | 'deploy_failed' | 'error_rate';

export interface Rule {
  id: number;
  builtin: BuiltinName | null;
  scope: { kind: 'app' | 'cluster' | 'server'; name: string } & Pick<MetricScope, 'type' | 'role' | 'instance'>;
  metric: string;
  op: Comparison;
  threshold: number;
  forMs: number;
  /** notifier names; empty: the default notifiers */
  notify: string[];
  enabled: boolean;
  createdBy: string;
  createdAt: string;
}

export interface RuleState { ruleId: number; subject: string; state: AlertState; since: string; value: number | null }

export interface AlertEvent {
  id: number; ruleId: number; subject: string; scope: { kind: string; name: string };
  state: 'firing' | 'resolved'; value: number | null; title: string; text: string; at: string;
}

export interface Delivery {
  id: number; eventId: number; notifierId: number; status: 'pending' | 'sending' | 'sent' | 'failed';
  attempts: number; nextAt: number; lastError: string | null; doneAt: string | null;
}

export interface NotifierRow { id: number; name: string; kind: string; settings: string; shown: string; isDefault: boolean; createdBy: string; createdAt: string }
