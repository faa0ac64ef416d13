// What a policy scales: a cluster's role (its instance count) or an app's process type (its
// formation). One key per target for the tables and the in-memory state.
export type Target =
  | { kind: 'role'; clusterId: number; cluster: string; role: string }
  | { kind: 'formation'; appId: number; app: string; clusterId: number; type: string };

export function targetKey(target: Target): string {
  return target.kind === 'role' ? `role:${target.clusterId}:${target.role}` : `formation:${target.appId}:${target.type}`;
}

/** The columns a target is stored under. */
export function targetColumns(target: Target): { cluster_id: number | null; role: string | null; app_id: number | null; process_type: string | null } {
  return target.kind === 'role'
    ? { cluster_id: target.clusterId, role: target.role, app_id: null, process_type: null }
    : { cluster_id: null, role: null, app_id: target.appId, process_type: target.type };
}

export function describeTarget(target: Target): string {
  return target.kind === 'role' ? `role ${target.role} of cluster ${target.cluster}` : `${target.type} of app ${target.app}`;
}

/** "instances" or "processes": what the count counts. */
export function unitOf(target: Target): string {
  return target.kind === 'role' ? 'instance(s)' : 'process(es)';
}
