// Clusters as people manage them: create with provider settings and roles, scale roles, destroy.
// The reconciler does the work of making instances match.
import type { Scalarium } from './scalarium.ts';
import type { Principal } from '../db/identity.ts';
import { ScalariumError } from './errors.ts';
import { assertName } from './names.ts';
import { audit } from './audit.ts';
import { findCluster, listInstances, type Cluster } from '../db/instances.ts';
import { createCluster, deleteCluster, listRoles, setRoleCounts, type ClusterSettings, type Role } from '../db/clusters.ts';
import { listApps } from '../db/apps.ts';
import { deleteGrantsOn } from '../db/grants.ts';

const MAX_INSTANCES_PER_ROLE = 100;

export async function requireCluster(scalarium: Scalarium, name: unknown): Promise<Cluster> {
  const cluster = typeof name === 'string' ? await findCluster(scalarium.db, name) : undefined;
  if (!cluster) throw new ScalariumError('cluster_not_found', { cluster: String(name) });
  return cluster;
}

export function validateRoleCounts(raw: unknown): Record<string, number> {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new ScalariumError('invalid_body', { reason: 'roles must be {"app": 2, "router": 1}' });
  const entries = Object.entries(raw as Record<string, unknown>);
  for (const [role, count] of entries) {
    assertName('role', role);
    if (!Number.isInteger(count) || (count as number) < 0 || (count as number) > MAX_INSTANCES_PER_ROLE) {
      throw new ScalariumError('invalid_body', { reason: `${role} must be a whole number of instances from 0 to ${MAX_INSTANCES_PER_ROLE}` });
    }
  }
  return Object.fromEntries(entries) as Record<string, number>;
}

const SETTING_KEYS = ['region', 'endpoint', 'image', 'instanceType', 'subnet', 'keyPair', 'serverUrl'] as const;

export function validateSettings(provider: string, raw: Record<string, unknown>): ClusterSettings {
  const settings: ClusterSettings = {};
  for (const key of SETTING_KEYS) {
    const value = raw[key];
    if (value === undefined || value === null || value === '') continue;
    if (typeof value !== 'string' || value.length > 255 || /[\s\0]/.test(value)) throw new ScalariumError('invalid_body', { reason: `${key} must be a short string without spaces` });
    if ((key === 'endpoint' || key === 'serverUrl') && !/^https?:\/\//.test(value)) throw new ScalariumError('invalid_body', { reason: `${key} must be an http(s) URL` });
    settings[key] = value;
  }
  if (raw.spot !== undefined) settings.spot = raw.spot === true;
  if (raw.keepFailedInstances !== undefined) settings.keepFailedInstances = raw.keepFailedInstances === true;
  if (raw.keepMetadata !== undefined) settings.keepMetadata = raw.keepMetadata === true;
  for (const key of ['bootTimeoutMs', 'orphanGraceMs'] as const) {
    const value = raw[key];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || (value as number) < 1000 || (value as number) > 86_400_000) throw new ScalariumError('invalid_body', { reason: `${key} must be milliseconds between 1000 and 86400000` });
    settings[key] = value as number;
  }
  if (raw.securityGroupIds !== undefined) {
    const groups = raw.securityGroupIds;
    if (!Array.isArray(groups) || groups.length > 10 || !groups.every((g) => typeof g === 'string' && /^sg-[0-9a-z]{1,40}$/.test(g))) {
      throw new ScalariumError('invalid_body', { reason: 'securityGroupIds must be a list of sg-… ids' });
    }
    settings.securityGroupIds = groups as string[];
  }
  if (raw.elasticIpForRouters !== undefined) settings.elasticIpForRouters = raw.elasticIpForRouters === true;
  const creds = raw.credentials as { accessKeyId?: unknown; secretAccessKey?: unknown; sessionToken?: unknown } | undefined;
  if (creds) {
    if (typeof creds.accessKeyId !== 'string' || typeof creds.secretAccessKey !== 'string') throw new ScalariumError('invalid_body', { reason: 'credentials need accessKeyId and secretAccessKey' });
    settings.credentials = { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey, ...(typeof creds.sessionToken === 'string' ? { sessionToken: creds.sessionToken } : {}) };
  }
  if (provider === 'ec2' && (!settings.region || !settings.image)) {
    throw new ScalariumError('invalid_body', { reason: 'an ec2 cluster needs a region and an image (AMI id)' });
  }
  return settings;
}

export async function createClusterFor(scalarium: Scalarium, principal: Principal, body: Record<string, unknown>): Promise<Cluster> {
  const name = assertName('cluster', body.name);
  const provider = typeof body.provider === 'string' ? body.provider : 'local';
  if (!scalarium.providers.has(provider)) throw new ScalariumError('invalid_body', { reason: `no provider "${provider.slice(0, 40)}" is loaded (${[...scalarium.providers.keys()].join(', ')})` });
  if (await findCluster(scalarium.db, name)) throw new ScalariumError('invalid_body', { reason: `a cluster named ${name} exists already` });
  const settings = validateSettings(provider, (body.settings ?? {}) as Record<string, unknown>);
  const counts = validateRoleCounts(body.roles ?? (provider === 'local' ? { app: 1, router: 1 } : { app: 1, router: 1 }));
  const roles: Role[] = Object.entries(counts).map(([role, count]) => ({ name: role, count }));
  const cluster = await createCluster(scalarium.db, name, provider, settings, roles);
  await audit(scalarium, principal, 'cluster.create', name, { detail: { provider, roles: counts } });
  void reconcileCluster(scalarium, cluster);
  return cluster;
}

export async function scaleCluster(scalarium: Scalarium, principal: Principal, name: unknown, raw: unknown): Promise<Role[]> {
  const cluster = await requireCluster(scalarium, name);
  const counts = validateRoleCounts(raw);
  await setRoleCounts(scalarium.db, cluster.id, counts);
  await audit(scalarium, principal, 'cluster.scale', cluster.name, { detail: counts });
  await reconcileCluster(scalarium, cluster);
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
  await deleteGrantsOn(scalarium.db, { kind: 'cluster', name: cluster.name });
  await audit(scalarium, principal, 'cluster.destroy', cluster.name);
}

const running = new WeakMap<Scalarium, Map<number, Promise<void>>>();
const stopped = new WeakSet<Scalarium>();

/** On server stop: no new cluster runs, and the ones under way finish before the database closes. */
export async function stopClusterReconciles(scalarium: Scalarium): Promise<void> {
  stopped.add(scalarium);
  await Promise.allSettled([...(running.get(scalarium)?.values() ?? [])]);
}

/** Brings the cluster's instances to its role counts (one run at a time per cluster). */
export function reconcileCluster(scalarium: Scalarium, cluster: Cluster): Promise<void> {
  if (stopped.has(scalarium)) return Promise.resolve();
  let byCluster = running.get(scalarium);
  if (!byCluster) running.set(scalarium, (byCluster = new Map()));
  const current = byCluster.get(cluster.id);
  const next = (current ?? Promise.resolve()).catch(() => {}).then(() => scalarium.provider(cluster.provider).ensureInstances(cluster));
  const tracked = next.finally(() => {
    if (byCluster!.get(cluster.id) === tracked) byCluster!.delete(cluster.id);
  });
  byCluster.set(cluster.id, tracked);
  return tracked.catch((error: Error) => {
    scalarium.say(`cluster ${cluster.name}: ${error.message}`);
  });
}
