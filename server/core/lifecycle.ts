// When an instance's setup and shutdown events happen, and the states around them (setup → online,
// draining → stopped). What each event does is the plugins' (the agents' side: plugins/lifecycle).
import type { Scalarium } from './scalarium.ts';
import type { Instance } from '../db/instances.ts';
import { findClusterById, findInstance, listInstances, moveInstanceState, updateInstance } from '../db/instances.ts';
import { configureCluster } from './configure.ts';
import { listApps } from '../db/apps.ts';
import { reconcileApp } from './reconciler.ts';
import { listProcesses } from '../db/processes.ts';

/** Waits until the instance is online (set up), or fails after the timeout with its state. */
export async function waitUntilOnline(scalarium: Scalarium, id: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const instance = await findInstance(scalarium.db, id);
    if (instance?.state === 'online') return;
    // Failed, or retired before it got there (draining, stopped): it will not be online.
    if (!instance || ['failed', 'draining', 'stopped'].includes(instance.state) || Date.now() > deadline) {
      throw new Error(`instance ${id} is ${instance?.state ?? 'unknown'}${instance?.failure ? `: ${instance.failure}` : ''}, not online`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** setup on a new instance once its agent connects, then configure (membership changed) and deploy onto it. */
export async function setupInstance(scalarium: Scalarium, instance: Instance): Promise<void> {
  const cluster = await findClusterById(scalarium.db, instance.clusterId);
  if (!cluster) return;
  const fresh = await findInstance(scalarium.db, instance.id);
  // One its provider failed or retires is not set up (its agent may still have connected late).
  if (!fresh || !['requested', 'booting', 'setup'].includes(fresh.state)) return;
  await updateInstance(scalarium.db, instance.id, { state: 'setup' });
  await scalarium.hooks.setup.promise({ cluster, instances: [instance], reason: `instance ${instance.id} connected` });
  // Its provider may have failed it meanwhile (a boot timeout) or begun to retire it: that stands.
  if (!(await moveInstanceState(scalarium.db, instance.id, 'setup', 'online'))) {
    scalarium.say(`instance ${instance.id}: set up, but it is no longer being set up (${(await findInstance(scalarium.db, instance.id))?.state ?? 'gone'}): not brought online`);
    return;
  }
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
  await terminate();
  await updateInstance(scalarium.db, instance.id, { state: 'stopped' });
  if (others.length) await configureCluster(scalarium, cluster, `instance ${instance.id} went away`).catch(() => {});
}
