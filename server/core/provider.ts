// A provider makes instances exist: local processes on this host, EC2, an EC2-compatible cloud.
// It is a registry entry (several methods), not a hook.
import type { Cluster, Instance } from '../db/instances.ts';
import type { ClusterSettings } from '../db/clusters.ts';

export interface Provider {
  name: string;
  /** Bring the cluster's instances to their desired count and make sure their agents run. Idempotent. */
  ensureInstances(cluster: Cluster): Promise<void>;
  /** Stop an instance's agent (and with it its processes). Idempotent; unknown instances are fine. */
  terminate(instance: Instance): Promise<void>;
  /**
   * The last lines the instance printed (its console: the agent's or router's own output), safe to
   * print; shown when it failed to boot or died. Optional: not every provider can read it.
   */
  consoleOutput?(instance: Instance): Promise<string[]>;
  /** Why a new cluster's settings cannot work with this provider (e.g. no region), in words; nothing when they can. */
  checkSettings?(settings: ClusterSettings): string | undefined;
}
