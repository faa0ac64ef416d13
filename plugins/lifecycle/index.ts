// The agent side of the five lifecycle events: setup and shutdown reach the instance that came or
// goes, configure every online instance of the cluster (with the new cluster JSON), deploy and
// undeploy the instances that run the app. Each run is recorded per instance
// (GET /api/clusters/:cluster/events, `scalarium events`).
import {
  findClusterById, listInstances, listProcesses, type Plugin, type AppRow, type Scalarium,
} from '../../server/plugin-api.ts';
import { runAgentEvent } from './agent-event.ts';

const NAME = 'lifecycle';

async function hostsOf(scalarium: Scalarium, app: AppRow) {
  const ids = new Set((await listProcesses(scalarium.db, { appId: app.id })).map((p) => p.instanceId));
  return (await listInstances(scalarium.db, app.cluster_id)).filter((i) => ids.has(i.id));
}

export const lifecyclePlugin: Plugin = {
  name: NAME,
  apply(scalarium) {
    scalarium.hooks.setup.tapPromise(NAME, ({ cluster, instances }) => runAgentEvent(scalarium, cluster, 'setup', instances));
    scalarium.hooks.shutdown.tapPromise(NAME, ({ cluster, instances }) => runAgentEvent(scalarium, cluster, 'shutdown', instances));
    scalarium.hooks.configure.tapPromise(NAME, async ({ cluster, instances }) => {
      // Recorded per instance; a failing app hook never fails the membership change itself.
      await runAgentEvent(scalarium, cluster, 'configure', instances);
    });
    scalarium.hooks.deployed.tapPromise(NAME, async ({ app }) => {
      const cluster = await findClusterById(scalarium.db, app.cluster_id);
      if (cluster) await runAgentEvent(scalarium, cluster, 'deploy', await hostsOf(scalarium, app), { apps: [app.name] });
    });
    scalarium.hooks.undeploy.tapPromise(NAME, async ({ app }) => {
      const cluster = await findClusterById(scalarium.db, app.cluster_id);
      if (cluster) await runAgentEvent(scalarium, cluster, 'undeploy', await hostsOf(scalarium, app), { apps: [app.name] });
    });
  },
};

export default lifecyclePlugin;
