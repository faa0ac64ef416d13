// A provider makes instances exist: local processes on this host, EC2, an EC2-compatible cloud.
// It is a registry entry (several methods), not a hook.
import type { Cluster, Instance } from '../db/instances.ts';

export interface Provider {
  name: string;
  /** Bring the cluster's instances to their desired count and make sure their agents run. Idempotent. */
  ensureInstances(cluster: Cluster): Promise<void>;
  /** Stop an instance's agent (and with it its processes). Idempotent; unknown instances are fine. */
  terminate(instance: Instance): Promise<void>;
}
