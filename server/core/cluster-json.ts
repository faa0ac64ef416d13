// The cluster JSON given to instances and to apps' hook scripts (and kept in the file named by
// SCALARIUM_CLUSTER_JSON): roles, instances with addresses, apps with their processes.
import type { Scalarium } from './scalarium.ts';
import type { Cluster } from '../db/instances.ts';
import { listInstances } from '../db/instances.ts';
import { listRoles } from '../db/clusters.ts';
import { listApps } from '../db/apps.ts';
import { listProcesses } from '../db/processes.ts';

export async function clusterDocument(scalarium: Scalarium, cluster: Cluster) {
  const instances = await listInstances(scalarium.db, cluster.id);
  const apps = (await listApps(scalarium.db)).filter((a) => a.cluster_id === cluster.id);
  return {
    cluster: cluster.name,
    provider: cluster.provider,
    domain: scalarium.config.domain,
    roles: await listRoles(scalarium.db, cluster.id),
    instances: instances.filter((i) => i.state !== 'stopped').map((i) => ({ id: i.id, role: i.role, state: i.state, address: i.address })),
    apps: await Promise.all(apps.map(async (app) => ({
      name: app.name,
      host: `${app.name}.${scalarium.config.domain}`,
      processes: (await listProcesses(scalarium.db, { appId: app.id })).map((p) => ({
        type: p.type, instance: p.instanceId, address: instances.find((i) => i.id === p.instanceId)?.address ?? null, port: p.port, state: p.state,
      })),
    }))),
  };
}
