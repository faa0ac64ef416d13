// What the API, the Healing tab and the CLI share: a cluster's healing as people read it (policy,
// each online instance's silence, the events) and changing the policy (checked, audited).
import {
  audit, formatDuration, parseBody, requireCluster, ScalariumError, type Principal, type Scalarium,
} from '../../server/plugin-api.ts';
import { changedPolicy, describePolicy, policyBody } from './policy.ts';
import { addEvent, listEvents, policyOf, savePolicy, type HealingEvent } from './store.ts';
import type { Healer, InstanceHealth } from './healer.ts';

export interface HealingAnswer {
  cluster: string;
  policy: { enabled: boolean; dryRun: boolean; suspectAfter: string; replaceAfter: string; described: string };
  paused: string | null;
  instances: Array<InstanceHealth & { silentFor: string }>;
  events: HealingEvent[];
}

export async function healingOf(scalarium: Scalarium, healer: Healer, name: unknown, limit = 50): Promise<HealingAnswer> {
  const cluster = await requireCluster(scalarium, name);
  const policy = await policyOf(scalarium.db, cluster.id);
  return {
    cluster: cluster.name,
    policy: {
      enabled: policy.enabled, dryRun: policy.dryRun, suspectAfter: formatDuration(policy.suspectAfterMs),
      replaceAfter: formatDuration(policy.replaceAfterMs), described: describePolicy(policy),
    },
    paused: (policy.enabled && healer.pausedBecause(cluster.id)) || null,
    instances: (await healer.health(cluster)).map((i) => ({ ...i, silentFor: `${Math.floor(i.silentForMs / 1000)}s` })),
    events: await listEvents(scalarium.db, cluster.id, limit),
  };
}

/** `raw`: the body of PUT …/healing or the Healing tab's form, parsed here (policyBody). */
export async function setHealing(scalarium: Scalarium, healer: Healer, principal: Principal, name: unknown, raw: unknown): Promise<HealingAnswer> {
  const cluster = await requireCluster(scalarium, name);
  const change = parseBody(policyBody, raw);
  const next = changedPolicy(await policyOf(scalarium.db, cluster.id), change);
  if (typeof next === 'string') throw new ScalariumError('invalid_body', { reason: next });
  await savePolicy(scalarium.db, cluster.id, next, principal.user.name);
  await addEvent(scalarium.db, cluster.id, 'policy', null, `${principal.user.name} set healing: ${describePolicy(next)}`);
  await audit(scalarium, principal, 'healing.policy', cluster.name, { detail: { ...change } });
  return healingOf(scalarium, healer, cluster.name);
}
