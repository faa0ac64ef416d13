// The five lifecycle events, run in two places: server-side plugins tap the hook of the same name,
// and each instance's agent performs the event and runs the apps' own `.scalarium/hooks/<event>`.
// Every run is recorded per instance (output, duration, result) and shown by `scalarium events`.
import type { Scalarium } from './scalarium.ts';
import type { Cluster, Instance } from '../db/instances.ts';
import { findClusterById, findInstance, listInstances, updateInstance } from '../db/instances.ts';
import { finishEventRun, startEventRun } from '../db/clusters.ts';
import type { LifecycleEventName } from '../agent/protocol.ts';
import type { HookResult } from '../agent/app-hooks.ts';
import { clusterDocument } from './cluster-json.ts';
import { configureCluster } from './configure.ts';
import { listApps } from '../db/apps.ts';
import { reconcileApp } from './reconciler.ts';
import { listProcesses } from '../db/processes.ts';

const AGENT_EVENT_TIMEOUT_MS = 180_000;

/** Sends one event to the given instances' agents and records a run per instance. */
export async function runAgentEvent(
  scalarium: Scalarium, cluster: Cluster, event: LifecycleEventName, instances: Instance[], options: { apps?: string[] } = {},
): Promise<void> {
  const document = await clusterDocument(scalarium, cluster);
  await Promise.all(instances.filter((i) => scalarium.hub.peer(i.id)?.kind === 'agent').map(async (instance) => {
    const runId = await startEventRun(scalarium.db, { clusterId: cluster.id, instanceId: instance.id, event, app: options.apps?.join(',') });
    const started = performance.now();
    try {
      const result = await scalarium.hub.request<{ hooks?: HookResult[] }>(instance.id, {
        op: 'event', event, payload: { cluster: document, ...(options.apps ? { apps: options.apps } : {}) },
      }, AGENT_EVENT_TIMEOUT_MS);
      const hooks = result?.hooks ?? [];
      const failed = hooks.filter((h) => !h.ok);
      const output = hooks.filter((h) => h.ran).map((h) => `[${h.app}] ${h.output}`).join('\n');
      await finishEventRun(scalarium.db, runId, {
        status: failed.length ? 'failed' : 'succeeded', output, durationMs: Math.round(performance.now() - started),
        ...(failed.length ? { reason: `hook failed for ${failed.map((h) => h.app).join(', ')}` } : {}),
      });
    } catch (error) {
      await finishEventRun(scalarium.db, runId, { status: 'failed', durationMs: Math.round(performance.now() - started), reason: (error as Error).message });
    }
  }));
}

/** Waits until the instance is online (set up), or fails after the timeout with its state. */
export async function waitUntilOnline(scalarium: Scalarium, id: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const instance = await findInstance(scalarium.db, id);
    if (instance?.state === 'online') return;
    if (instance?.state === 'failed' || Date.now() > deadline) {
      throw new Error(`instance ${id} is ${instance?.state ?? 'unknown'}${instance?.failure ? `: ${instance.failure}` : ''}, not online`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** setup on a new instance once its agent connects, then configure (membership changed) and deploy onto it. */
export async function setupInstance(scalarium: Scalarium, instance: Instance): Promise<void> {
  const cluster = await findClusterById(scalarium.db, instance.clusterId);
  if (!cluster) return;
  await updateInstance(scalarium.db, instance.id, { state: 'setup' });
  await scalarium.hooks.setup.promise({ cluster, instances: [instance], reason: `instance ${instance.id} connected` });
  await runAgentEvent(scalarium, cluster, 'setup', [instance]);
  await updateInstance(scalarium.db, instance.id, { state: 'online' });
  await configureCluster(scalarium, cluster, `instance ${instance.id} came online`);
  for (const app of (await listApps(scalarium.db)).filter((a) => a.cluster_id === cluster.id)) {
    await reconcileApp(scalarium, app).catch((error: Error) => scalarium.say(`deploy of ${app.name} onto ${instance.id}: ${error.message}`));
  }
}

/**
 * shutdown before an instance stops: it stops taking work (draining), its processes are replaced
 * elsewhere and drained from the router, the event runs, then the provider terminates it.
 */
export async function shutdownInstance(scalarium: Scalarium, instance: Instance, terminate: () => Promise<void>): Promise<void> {
  const cluster = await findClusterById(scalarium.db, instance.clusterId);
  if (!cluster) return terminate();
  await updateInstance(scalarium.db, instance.id, { state: 'draining' });
  const hosted = new Set((await listProcesses(scalarium.db, { instanceId: instance.id })).map((p) => p.appId));
  for (const app of (await listApps(scalarium.db)).filter((a) => hosted.has(a.id))) {
    await reconcileApp(scalarium, app).catch((error: Error) => scalarium.say(`moving ${app.name} off ${instance.id}: ${error.message}`));
  }
  const others = (await listInstances(scalarium.db, cluster.id)).filter((i) => i.id !== instance.id && i.state === 'online');
  await scalarium.hooks.shutdown.promise({ cluster, instances: [instance], reason: `instance ${instance.id} is stopping` });
  await runAgentEvent(scalarium, cluster, 'shutdown', [instance]);
  await terminate();
  await updateInstance(scalarium.db, instance.id, { state: 'stopped' });
  if (others.length) await configureCluster(scalarium, cluster, `instance ${instance.id} went away`).catch(() => {});
}
