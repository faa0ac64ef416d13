// The ec2 provider plugin: clusters on EC2 and EC2-compatible private clouds (Eucalyptus,
// OpenStack's EC2 API). Registers provider "ec2" and sweeps orphaned instances of every ec2
// cluster periodically (ensureInstances sweeps too). See README.md.
import { type Plugin, type Scalarium, listClusters } from '../../server/plugin-api.ts';
import { createEc2Provider, type Ec2Provider } from './provider.ts';

export { createEc2Provider, type Ec2Provider } from './provider.ts';
// client.ts and cloud.ts (the AWS SDK) are imported where used, lazily by the provider.
export type { CloudInstance, LaunchSpec } from './cloud.ts';
export { retry, backoffDelay, isRetryable, isNotFound, isThrottling, DEFAULT_RETRY, type RetryPolicy, type RetryOptions } from './retry.ts';
export { userDataScript, agentSocketUrl, serverBaseUrl, shQuote, type UserDataInput } from './user-data.ts';
export { instanceTags, belongsTo, clusterFilters, TAG, type ClusterIdentity } from './tags.ts';
export { loadSettings, resolveSettings, DEFAULTS, type Ec2Settings, type ResolvedEc2Settings } from './settings.ts';
export { findOrphans, OrphanTracker } from './orphans.ts';

const NAME = 'provider-ec2';
/** How often every ec2 cluster is checked for orphans between ensureInstances calls. */
export const SWEEP_INTERVAL_MS = 60_000;

export function startOrphanSweeps(scalarium: Scalarium, provider: Ec2Provider, intervalMs = SWEEP_INTERVAL_MS): () => void {
  let stopped = false;
  const failures = new Map<number, string>();
  const tick = async () => {
    for (const cluster of await listClusters(scalarium.db)) {
      if (stopped) return;
      if (cluster.provider !== provider.name) continue;
      try {
        await provider.sweepOrphans(cluster);
        failures.delete(cluster.id);
      } catch (error) {
        // Said once per distinct failure, not once a minute.
        const message = (error as Error).message;
        if (!stopped && failures.get(cluster.id) !== message) scalarium.say(`ec2: orphan sweep of cluster ${cluster.name} failed: ${message}`);
        failures.set(cluster.id, message);
      }
    }
  };
  let running = false;
  const timer = setInterval(() => {
    if (running || stopped) return;
    running = true;
    tick().catch(() => {}).finally(() => (running = false));
  }, intervalMs);
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}

export const ec2ProviderPlugin: Plugin = {
  name: NAME,
  apply(scalarium) {
    const provider = createEc2Provider(scalarium);
    scalarium.registerProvider(provider);
    const stop = startOrphanSweeps(scalarium, provider);
    scalarium.onClose(() => {
      stop();
      provider.close();
    });
  },
};

export default ec2ProviderPlugin;
