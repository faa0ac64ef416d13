// One lifecycle event on the agents of some instances: each performs it and runs the apps' own
// `.scalarium/hooks/<event>`; every run is recorded per instance (output, duration, result) and shown
// by `scalarium events`. A failing app hook fails its run, never the event that caused it.
import {
  finishEventRun, startEventRun, clusterDocument, type Scalarium, type Cluster, type Instance, type LifecycleEventName,
  type HookResult,
} from '../../server/plugin-api.ts';

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

