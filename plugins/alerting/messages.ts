// What a transition says, in one title line and a few lines of text, for every notifier alike.
import type { MetricInfo } from '../../server/plugin-api.ts';
import { formatDuration } from '../../server/plugin-api.ts';
import type { Rule } from './types.ts';

const UNIT: Record<MetricInfo['unit'], string> = { count: '', per_second: '/s', ms: ' ms', percent: ' %', bytes: ' B', load: '' };

export function formatValue(value: number | null, unit: MetricInfo['unit'] | undefined): string {
  if (value === null) return 'no data';
  const shown = Math.abs(value) >= 100 ? Math.round(value).toString() : (Math.round(value * 100) / 100).toString();
  return `${shown}${unit ? UNIT[unit] : ''}`;
}

/** "app shop (web)", "cluster prod, role app", "instance i-1 of cluster prod" */
function scopeText(rule: Rule, subject: string): string {
  const s = rule.scope;
  if (s.kind === 'server') return subject;
  if (s.kind === 'app') return `app ${s.name}${s.type ? ` (${s.type})` : ''}`;
  return `cluster ${s.name}${s.role ? `, role ${s.role}` : ''}${s.instance ? `, instance ${s.instance}` : ''}`;
}

/** A metric rule in words: "p95_ms above 500 ms for 5m". */
export function ruleText(rule: Rule, unit?: MetricInfo['unit']): string {
  return `${rule.metric} ${rule.op} ${formatValue(rule.threshold, unit)}${rule.forMs ? ` for ${formatDuration(rule.forMs)}` : ''}`;
}

export function metricMessage(rule: Rule, subject: string, state: 'firing' | 'resolved', value: number | null, unit?: MetricInfo['unit']): { title: string; text: string } {
  const where = scopeText(rule, subject);
  const title = `${state === 'firing' ? 'FIRING' : 'RESOLVED'} ${where}: ${rule.metric} ${formatValue(value, unit)}`;
  const text = state === 'firing'
    ? `Alert rule ${rule.id} (${ruleText(rule, unit)}) fires for ${where}: the value is ${formatValue(value, unit)}.`
    : `Alert rule ${rule.id} (${ruleText(rule, unit)}) no longer holds for ${where}: the value is ${formatValue(value, unit)}.`;
  return { title, text };
}
