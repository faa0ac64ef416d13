// Orphans: instances that carry this cluster's tags but that no instance row wants — a launch
// whose row was deleted, a duplicate from a cloud that ignored our ClientToken, an instance whose
// termination was lost. They are reported when first seen and terminated once they have stayed
// orphans for a grace period (a row being written elsewhere gets the time to claim its instance).
import type { Instance, InstanceState } from '../../server/plugin-api.ts';
import type { CloudInstance } from './cloud.ts';
import { ALIVE_STATES, TAG, tagValue } from './tags.ts';

/** Row states that want their instance to exist. */
export const WANTING_STATES: InstanceState[] = ['requested', 'booting', 'setup', 'online', 'draining'];

/** Alive tagged instances whose row does not want them (or wants another instance). */
export function findOrphans(cloud: CloudInstance[], rows: Instance[], options: { keepFailed?: boolean } = {}): CloudInstance[] {
  const wanting = new Set<InstanceState>(options.keepFailed ? [...WANTING_STATES, 'failed'] : WANTING_STATES);
  return cloud.filter((instance) => {
    if (!ALIVE_STATES.includes(instance.state)) return false;
    const rowId = tagValue(instance.tags, TAG.instance);
    const row = rows.find((r) => r.id === rowId);
    if (!row || !wanting.has(row.state)) return true;
    return row.providerRef !== null && row.providerRef !== instance.id;
  });
}

export class OrphanTracker {
  private readonly firstSeen = new Map<string, number>();

  /**
   * Takes the orphans seen now: returns the ones seen for the first time (to report) and the ones
   * that have been orphans for at least graceMs (to terminate). Instances that are no longer
   * orphans are forgotten, so a row that claims its instance late saves it.
   */
  observe(orphans: CloudInstance[], graceMs: number, now = Date.now()): { fresh: CloudInstance[]; due: CloudInstance[] } {
    const ids = new Set(orphans.map((o) => o.id));
    for (const id of this.firstSeen.keys()) if (!ids.has(id)) this.firstSeen.delete(id);
    const fresh: CloudInstance[] = [];
    const due: CloudInstance[] = [];
    for (const orphan of orphans) {
      let seen = this.firstSeen.get(orphan.id);
      if (seen === undefined) {
        seen = now;
        this.firstSeen.set(orphan.id, now);
        fresh.push(orphan);
      }
      if (now - seen >= graceMs) due.push(orphan);
    }
    return { fresh, due };
  }

  forget(id: string): void {
    this.firstSeen.delete(id);
  }
}
