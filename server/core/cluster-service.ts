// Clusters as people manage them: create with provider settings and roles, scale roles, destroy.
// The reconciler does the work of making instances match. The bodies are parsed here with the API's
// schemas (server/http/api/bodies/clusters.ts): the clusters page's forms send them too.
import type { Scalarium } from './scalarium.ts';
import type { Principal } from '../db/identity.ts';
import { ScalariumError } from './errors.ts';
import { audit } from './audit.ts';
import { findCluster, listInstances, type Cluster } from '../db/instances.ts';
import { createCluster, deleteCluster, listRoles, setRoleCounts, type ClusterSettings, type Role } from '../db/clusters.ts';
import { listApps } from '../db/apps.ts';
import { parseBody } from '../http/api/bodies/parse.ts';
import { newClusterBody, roleCountsBody } from '../http/api/bodies/clusters.ts';

export async function requireCluster(scalarium: Scalarium, name: unknown): Promise<Cluster> {
  const cluster = typeof name === 'string' ? await findCluster(scalarium.db, name) : undefined;
  if (!cluster) throw new ScalariumError('cluster_not_found', { cluster: String(name) });
  return cluster;
}

/** `raw`: the body of POST /api/clusters or the new-cluster form, parsed here (newClusterBody). */
export async function createClusterFor(scalarium: Scalarium, principal: Principal, raw: unknown): Promise<Cluster> {
  const { name, provider = scalarium.defaultCluster?.provider ?? 'local', ...body } = parseBody(newClusterBody, raw);
  if (!scalarium.providers.has(provider)) throw new ScalariumError('invalid_body', { reason: `no provider "${provider.slice(0, 40)}" is loaded (${[...scalarium.providers.keys()].join(', ')})` });
  if (await findCluster(scalarium.db, name)) throw new ScalariumError('invalid_body', { reason: `a cluster named ${name} exists already` });
  const settings: ClusterSettings = body.settings ?? {};
  // What a provider needs to launch anything; checked once the provider is known to be there.
  const unusable = scalarium.provider(provider).checkSettings?.(settings);
  if (unusable) throw new ScalariumError('invalid_body', { reason: unusable });
  const counts = body.roles ?? { app: 1, router: 1 };
  const roles: Role[] = Object.entries(counts).map(([role, count]) => ({ name: role, count }));
  const cluster = await createCluster(scalarium.db, name, provider, settings, roles);
  await audit(scalarium, principal, 'cluster.create', name, { detail: { provider, roles: counts } });
  void reconcileCluster(scalarium, cluster, 'created');
  return cluster;
}

/** `raw`: the body of PATCH …/roles or the scale form's one role, parsed here (roleCountsBody). */
export async function scaleCluster(scalarium: Scalarium, principal: Principal, name: unknown, raw: unknown): Promise<Role[]> {
  const cluster = await requireCluster(scalarium, name);
  const counts = parseBody(roleCountsBody, raw);
  await setRoleCounts(scalarium.db, cluster.id, counts);
  await audit(scalarium, principal, 'cluster.scale', cluster.name, { detail: counts });
  await reconcileCluster(scalarium, cluster, `scaled by ${principal.user.name}`);
  return listRoles(scalarium.db, cluster.id);
}

export async function destroyCluster(scalarium: Scalarium, principal: Principal, name: unknown): Promise<void> {
  const cluster = await requireCluster(scalarium, name);
  if (cluster.name === scalarium.defaultCluster?.name) throw new ScalariumError('invalid_body', { reason: `the default cluster ${cluster.name} cannot be destroyed` });
  if ((await listApps(scalarium.db)).some((a) => a.cluster_id === cluster.id)) {
    throw new ScalariumError('invalid_body', { reason: `cluster ${cluster.name} still has apps: destroy or move them first` });
  }
  const provider = scalarium.provider(cluster.provider);
  for (const instance of await listInstances(scalarium.db, cluster.id)) await provider.terminate(instance);
  await deleteCluster(scalarium.db, cluster.id);
  // Grants are by name: a future cluster of the same name must not inherit them.
  await scalarium.hooks.destroyed.promise({ kind: 'cluster', name: cluster.name });
  await audit(scalarium, principal, 'cluster.destroy', cluster.name);
}

const running = new WeakMap<Scalarium, Map<number, Promise<void>>>();
const stopped = new WeakSet<Scalarium>();

/** On server stop: no new cluster runs, and the ones under way finish before the database closes. */
export async function stopClusterReconciles(scalarium: Scalarium): Promise<void> {
  stopped.add(scalarium);
  await Promise.allSettled([...(running.get(scalarium)?.values() ?? [])]);
}

/**
 * Brings the cluster's instances to its role counts (one run at a time per cluster): the reconcile
 * hook first (healing, autoscaling), then the provider.
 */
export function reconcileCluster(scalarium: Scalarium, cluster: Cluster, reason = 'periodic'): Promise<void> {
  if (stopped.has(scalarium)) return Promise.resolve();
  let byCluster = running.get(scalarium);
  if (!byCluster) running.set(scalarium, (byCluster = new Map()));
  const current = byCluster.get(cluster.id);
  const next = (current ?? Promise.resolve()).catch(() => {}).then(async () => {
    // A plugin that fails here must not keep the provider from converging the cluster.
    await scalarium.hooks.reconcile.promise({ cluster, reason }).catch((error: Error) => scalarium.say(`cluster ${cluster.name}: reconcile hook: ${error.message}`));
    await scalarium.provider(cluster.provider).ensureInstances(cluster);
  });
  const tracked = next.finally(() => {
    if (byCluster!.get(cluster.id) === tracked) byCluster!.delete(cluster.id);
  });
  byCluster.set(cluster.id, tracked);
  return tracked.catch((error: Error) => {
    scalarium.say(`cluster ${cluster.name}: ${error.message}`);
  });
}
