// The judgement, apart from any I/O: given how long each online instance of a cluster has been
// silent, which are suspect, which are to be replaced and why — or why healing waits.
import type { HealingPolicy } from './policy.ts';

/** Silent this many times within FLAP_WINDOW_MS (returning each time): replaced as flapping. */
export const FLAP_COUNT = 3;
export const FLAP_WINDOW_MS = 5 * 60_000;

export interface Watched { id: string; role: string; silentForMs: number }

export interface Verdict {
  suspects: Watched[];
  replace: Array<{ instance: Watched; reason: string }>;
  /** Set when more than half the cluster is silent at once: nothing is replaced, and this says why. */
  paused?: string;
}

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}

/**
 * `returns`: per instance, when it came back from being suspect (newest last), for flapping.
 * A cluster-wide silence is a partition (the server's own network, most likely), not many dead
 * machines: more than half the online instances, and at least two, silent at once pauses healing.
 */
export function assess(instances: Watched[], policy: HealingPolicy, returns: ReadonlyMap<string, number[]>, now: number): Verdict {
  const suspects = instances.filter((i) => i.silentForMs >= policy.suspectAfterMs);
  if (suspects.length >= 2 && suspects.length * 2 > instances.length) {
    return {
      suspects, replace: [],
      paused: `${suspects.length} of ${instances.length} instances are silent at once (more than half): more likely the server lost its network than that they all died; healing waits until most are heard again`,
    };
  }
  const replace: Verdict['replace'] = [];
  for (const instance of instances) {
    if (instance.silentForMs >= policy.replaceAfterMs) {
      replace.push({ instance, reason: `no heartbeat for ${seconds(instance.silentForMs)} (replaced after ${seconds(policy.replaceAfterMs)})` });
      continue;
    }
    const recent = (returns.get(instance.id) ?? []).filter((at) => now - at <= FLAP_WINDOW_MS);
    if (recent.length >= FLAP_COUNT) {
      replace.push({ instance, reason: `flapping: silent for over ${seconds(policy.suspectAfterMs)} ${recent.length} times in ${Math.round(FLAP_WINDOW_MS / 60_000)} min` });
    }
  }
  return { suspects, replace };
}
