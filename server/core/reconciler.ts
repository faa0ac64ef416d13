// Reconcile, never assume: compares each app's desired state (its current release and formation)
// with the processes agents report, and rolls out the difference. Runs after start-up and whenever
// an agent reconnects, so a server killed mid-deploy converges on the next start.
import type { Scalarium } from './scalarium.ts';
import type { AppRow } from '../db/apps.ts';
import { listApps } from '../db/apps.ts';
import { latestRelease, type Release } from '../db/releases.ts';
import { listProcesses, type ProcessRow } from '../db/processes.ts';
import { listInstances } from '../db/instances.ts';
import { defaultFormation, deployRelease } from './pipeline.ts';
import { withAppLock } from './app-lock.ts';
import { ScalariumError } from './errors.ts';

const silent = { line: () => {} };

/** True when exactly the release's formation runs, ready, with every web process routed. */
export function converged(processes: ProcessRow[], release: Release | undefined, formation: Record<string, number>, online: Set<string>): boolean {
  if (!release) return processes.length === 0;
  for (const [type, count] of Object.entries(formation)) {
    const mine = processes.filter((p) => p.type === type);
    if (mine.length !== count) return false;
  }
  return processes.every((p) => p.release === release.version && formation[p.type] !== undefined && online.has(p.instanceId) &&
    (p.state === 'ready' || p.state === 'crashed' || p.state === 'starting') && p.routed === (p.type === 'web'));
}

export async function reconcileApp(scalarium: Scalarium, app: AppRow): Promise<void> {
  const release = await latestRelease(scalarium.db, app.id);
  const processes = await listProcesses(scalarium.db, { appId: app.id });
  const formation = release ? defaultFormation(app.formation, release.processTypes) : {};
  const online = new Set((await listInstances(scalarium.db, app.cluster_id)).filter((i) => i.state === 'online').map((i) => i.id));
  if (converged(processes, release, formation, online)) return;
  try {
    await withAppLock(scalarium, app.name, 'reconcile', async () => {
      if (release) await deployRelease(scalarium, app, release, silent, { formation });
      else await scalarium.hooks.undeploy.promise({ app, output: silent });
    });
  } catch (error) {
    // A busy app is being changed by someone else right now; that change converges it.
    if (!(error instanceof ScalariumError && error.code === 'app_locked')) throw error;
  }
}

export async function reconcileAll(scalarium: Scalarium): Promise<void> {
  for (const app of await listApps(scalarium.db)) {
    await reconcileApp(scalarium, app).catch((error: Error) => {
      scalarium.hooks.log.call({ app: app.name, source: 'scalarium', line: `reconcile failed: ${error.message}`, at: new Date().toISOString() });
    });
  }
}
