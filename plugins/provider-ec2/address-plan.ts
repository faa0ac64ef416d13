// Which of a cluster's Elastic IPs to keep free for the next router and which to release;
// elastic-ips.ts makes the calls. No AWS SDK here: the provider loads this with the plugin, the
// SDK only with the first ec2 cluster.
import type { InstanceState } from '../../server/plugin-api.ts';

export interface ClusterAddress {
  allocationId?: string;
  publicIp?: string;
  associationId?: string;
  /** The instance it is associated with, if any. */
  instanceId?: string;
  role?: string;
  /** The row it belongs to (its scalarium:instance tag). */
  row?: string;
  /** The role it is kept for while it belongs to no row. */
  freeFor?: string;
}

/** How an address is named in messages. */
export function addressName(a: ClusterAddress): string {
  return a.publicIp ?? a.allocationId ?? '?';
}

/**
 * What to do with the role's addresses that no row counting towards the role holds — free ones,
 * and those of rows given up (failed, stopped, no row at all): keep (free) as many as the role
 * wants beyond what its rows hold, release the rest. A draining row's address is left to its row
 * (released with it). `free`: to re-tag free (they belong to a row that let go); `release`: to go.
 */
export function planAddresses(
  addresses: ClusterAddress[], role: string, wanted: number, rows: ReadonlyMap<string, InstanceState>, counted: readonly InstanceState[],
): { free: ClusterAddress[]; release: ClusterAddress[] } {
  let held = 0;
  const spare: ClusterAddress[] = [];
  for (const address of addresses.filter((a) => a.role === role)) {
    const state = address.row ? rows.get(address.row) : undefined;
    if (state && counted.includes(state)) held++;
    else if (state !== 'draining') spare.push(address);
  }
  // Free ones are kept first (nothing to re-tag); only addresses with an allocation id can be tagged.
  const isFree = (a: ClusterAddress) => !a.row && a.freeFor === role;
  spare.sort((a, b) => Number(isFree(b)) - Number(isFree(a)));
  const keeping = Math.max(0, wanted - held);
  const kept = spare.filter((a) => a.allocationId).slice(0, keeping);
  return { free: kept.filter((a) => !isFree(a)), release: spare.filter((a) => !kept.includes(a)) };
}
