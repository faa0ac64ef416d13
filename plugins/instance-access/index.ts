// SSH access to instances: on every configure of a cluster (and when an agent connects) each app
// instance receives the accounts that must exist on it, as the instanceAccounts hook gives them
// (the access plugin: users with an SSH grant on the cluster; none without it).
import { type Plugin, type Scalarium, listInstances, type Cluster } from '../../server/plugin-api.ts';

const NAME = 'instance-access';
const TIMEOUT_MS = 30_000;

async function pushAccounts(scalarium: Scalarium, cluster: Cluster, instanceIds: string[]): Promise<void> {
  const accounts = await scalarium.hooks.instanceAccounts.promise([], cluster);
  await Promise.all(instanceIds.filter((id) => scalarium.hub.peer(id)?.kind === 'agent').map((id) =>
    scalarium.hub.request(id, { op: 'event', event: 'configure', payload: { accounts } }, TIMEOUT_MS)));
}

export const instanceAccessPlugin: Plugin = {
  name: NAME,
  apply(scalarium) {
    scalarium.hooks.configure.tapPromise(NAME, async ({ cluster }) => {
      const instances = await listInstances(scalarium.db, cluster.id);
      // Accounts must never hold up or fail a deploy's switch: a failure is logged and retried on the next configure.
      await pushAccounts(scalarium, cluster, instances.map((i) => i.id)).catch((error: Error) => scalarium.say(`instance access on ${cluster.name}: ${error.message}`));
    });
    scalarium.hooks.instanceConnected.tapPromise(NAME, async ({ instance, cluster, kind }) => {
      if (kind !== 'agent') return;
      await pushAccounts(scalarium, cluster, [instance.id]).catch((error: Error) => scalarium.say(`instance access for ${instance.id}: ${error.message}`));
    });
  },
};

export default instanceAccessPlugin;
