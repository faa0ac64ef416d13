// The tags that make an EC2 instance Scalarium's: they name the cluster (and its uid), the role and
// the instance row. They are the provider's memory in the cloud: a launch whose database write was
// lost is found again by its scalarium:instance tag, and only instances carrying this cluster's
// name *and* uid are ever terminated.
import type { Filter, Tag } from '@aws-sdk/client-ec2';

export const TAG = {
  cluster: 'scalarium:cluster',
  clusterUid: 'scalarium:cluster-uid',
  role: 'scalarium:role',
  instance: 'scalarium:instance',
  /** On an Elastic IP that belongs to no row: the role whose next row adopts it (elastic-ips.ts). */
  freeForRole: 'scalarium:free-for-role',
} as const;

export interface ClusterIdentity {
  /** The cluster's name. */
  name: string;
  /** Its uid (settings.clusterUid). */
  uid: string;
}

export function instanceTags(cluster: ClusterIdentity, row: { id: string; role: string }): Tag[] {
  return [
    { Key: TAG.cluster, Value: cluster.name },
    { Key: TAG.clusterUid, Value: cluster.uid },
    { Key: TAG.role, Value: row.role },
    { Key: TAG.instance, Value: row.id },
    { Key: 'Name', Value: row.id },
  ];
}

export function tagValue(tags: Tag[] | undefined, key: string): string | undefined {
  return tags?.find((t) => t.Key === key)?.Value;
}

/** True only for resources this very cluster launched. */
export function belongsTo(tags: Tag[] | undefined, cluster: ClusterIdentity): boolean {
  return tagValue(tags, TAG.cluster) === cluster.name && tagValue(tags, TAG.clusterUid) === cluster.uid;
}

export function clusterFilters(cluster: ClusterIdentity): Filter[] {
  return [
    { Name: `tag:${TAG.cluster}`, Values: [cluster.name] },
    { Name: `tag:${TAG.clusterUid}`, Values: [cluster.uid] },
  ];
}

/** Instance states in which an instance exists (or may still come to exist) and costs money. */
export const ALIVE_STATES = ['pending', 'running', 'stopping', 'stopped'];
