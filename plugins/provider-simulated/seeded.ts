// Deterministic "randomness" for the simulation: a figure in [0, 1) from a seed and a key (an
// instance id, a sample number). Keyed rather than drawn in sequence, so that which instance fails
// does not depend on the order boots happen in.

/** FNV-1a of the text, then a mulberry32 round: well spread, cheap, the same everywhere. */
export function seededUnit(seed: number, key: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
  h = (h + 0x6d2b79f5) >>> 0;
  let t = Math.imul(h ^ (h >>> 15), h | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** Whether this instance's boot fails, with the cluster's failure rate and seed. */
export function bootFails(seed: number, failureRate: number, instanceId: string): boolean {
  return failureRate > 0 && seededUnit(seed, `boot:${instanceId}`) < failureRate;
}
