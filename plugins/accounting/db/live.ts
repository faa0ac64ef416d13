// What runs now, read from core's tables (read only): the instances whose agent or router is
// connected, and the processes the server asked them to run that are starting or ready. These are
// the subjects the accountant keeps an open interval for.
import type { Db } from '../../../server/plugin-api.ts';
import type { Subject } from '../store.ts';

/** Process states that count: asked for and running (or on its way up). crashed, failed, stopped do not. */
export const BILLED_STATES = ['starting', 'ready'] as const;
/** Every process has this size today (a formation has no sizes yet). */
export const DEFAULT_SIZE = 'standard';
/**
 * provider-ec2 launches t3.micro when a cluster names no instance type (plugins/provider-ec2/settings.ts;
 * a plugin cannot import another, so the default is repeated here). Other providers' instances are
 * billed under the provider's name ("local").
 */
const EC2_DEFAULT_TYPE = 't3.micro';

export function instanceTypeOf(provider: string, settingsJson: string | null): string {
  let type: unknown;
  try {
    type = (JSON.parse(settingsJson ?? '{}') as { instanceType?: unknown }).instanceType;
  } catch {
    type = undefined;
  }
  if (typeof type === 'string' && /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(type)) return type;
  return provider === 'ec2' ? EC2_DEFAULT_TYPE : provider;
}

export async function liveSubjects(db: Db, connected: ReadonlySet<string>): Promise<Subject[]> {
  if (!connected.size) return [];
  const instances = await db('instances').join('clusters', 'clusters.id', 'instances.cluster_id')
    .select('instances.id as id', 'instances.role as role', 'clusters.id as cluster_id', 'clusters.name as cluster', 'clusters.provider as provider', 'clusters.settings as settings');
  const processes = await db('processes')
    .join('apps', 'apps.id', 'processes.app_id')
    .join('clusters', 'clusters.id', 'apps.cluster_id')
    .whereIn('processes.state', [...BILLED_STATES])
    .select('processes.id as id', 'processes.type as type', 'processes.instance_id as instance_id', 'processes.created_at as created_at',
      'apps.id as app_id', 'apps.name as app', 'apps.created_by as owner', 'clusters.id as cluster_id', 'clusters.name as cluster');
  const subjects: Subject[] = [];
  for (const r of instances) {
    if (!connected.has(r.id)) continue;
    subjects.push({
      kind: 'instance', id: r.id, clusterId: Number(r.cluster_id), cluster: r.cluster, instanceId: r.id, role: r.role,
      instanceType: instanceTypeOf(r.provider, r.settings),
    });
  }
  for (const r of processes) {
    if (!connected.has(r.instance_id)) continue;
    const since = Date.parse(r.created_at);
    subjects.push({
      kind: 'process', id: r.id, clusterId: Number(r.cluster_id), cluster: r.cluster, instanceId: r.instance_id,
      appId: Number(r.app_id), app: r.app, processType: r.type, size: DEFAULT_SIZE, owner: r.owner,
      ...(Number.isFinite(since) ? { since } : {}),
    });
  }
  return subjects;
}

/** Which apps (by id) and clusters (by id) still exist, with their names: usage of one that is gone stays billable. */
export async function existing(db: Db): Promise<{ apps: Map<number, string>; clusters: Map<number, string> }> {
  const apps = new Map<number, string>((await db('apps').select('id', 'name')).map((r) => [Number(r.id), String(r.name)]));
  const clusters = new Map<number, string>((await db('clusters').select('id', 'name')).map((r) => [Number(r.id), String(r.name)]));
  return { apps, clusters };
}
