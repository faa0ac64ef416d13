// The control plane with a 1,000-instance cluster, on the simulated provider: the real server (core,
// plugins, SQLite, the agent hub) in this process, the simulated instances in the provider's fleet
// host, a child process — so this process's CPU and memory are the server's (plus this script, idle
// while it measures). Measures
//   (a) steady state: N instances heartbeating every 5 s and sending metrics every 10 s, for
//       --duration seconds: the server's CPU (% of one core), its RSS, its event-loop delay;
//   (b) configure fan-out after one membership change (one instance added): time until every
//       instance has acked the configure event (the lifecycle plugin's runs recorded);
//   (c) scaling a cluster from 10 to --scale-to instances with a simulated boot of 1 s: time until all
//       are online.
// Prints figures and the machine; no thresholds.
//
//   node --import tsx bench/simulated-fleet.ts [--instances 1000] [--duration 60] [--scale-to 500]
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createTestScalarium, type TestScalarium } from '../test/helpers/harness.ts';
import { createCluster, listEventRuns, setRoleCounts, type ClusterSettings } from '../server/db/clusters.ts';
import { listInstances, type Cluster } from '../server/db/instances.ts';
import { reconcileCluster } from '../server/core/cluster-service.ts';
import { PROVIDER, simulatedCloud } from '../plugins/provider-simulated/index.ts';
import { fmt, intArg, isMain, load, machine, mb, onCleanup, printTable, procCpuMs, procRssBytes, runCleanups, sleep } from './lib.ts';

const METRICS_INTERVAL_S = 10;
const WARM_UP_MS = 15_000;

export interface SimulatedFleetOptions { instances: number; duration: number; scaleTo: number }

async function simulatedCluster(s: TestScalarium, name: string, roles: Record<string, number>, settings: Record<string, number>): Promise<Cluster> {
  // Core's functions rather than POST /api/clusters: the API allows 100 instances per role and keeps only core's settings.
  const cluster = await createCluster(s.scalarium.db, name, PROVIDER, settings as ClusterSettings, Object.entries(roles).map(([role, count]) => ({ name: role, count })));
  await reconcileCluster(s.scalarium, cluster);
  return cluster;
}

async function onlineCount(s: TestScalarium, cluster: Cluster): Promise<number> {
  return (await listInstances(s.scalarium.db, cluster.id)).filter((i) => i.state === 'online').length;
}

export async function simulatedFleetBench(options: SimulatedFleetOptions): Promise<void> {
  console.log(`\n== simulated fleet: ${options.instances} instances through the real server, ${options.duration} s steady state, scale 10 → ${options.scaleTo} ==`);
  console.log(`machine: ${machine()}`);
  console.log(`load average before: ${load()}`);
  const s = await createTestScalarium({ env: { SCALARIUM_METRICS_INTERVAL: String(METRICS_INTERVAL_S) } });
  const close = onCleanup(() => s.close());
  s.scalarium.providers.set(PROVIDER, simulatedCloud(s.scalarium).provider);
  let metricsReports = 0;
  let heartbeats = 0;
  s.scalarium.hooks.metrics.tap('bench', () => void metricsReports++);
  s.scalarium.hub.on('heartbeat', () => void heartbeats++);
  const rows: Array<Array<string | number>> = [['figure', 'value', 'unit']];
  try {
    // The fleet: every instance an agent but one router.
    const bootStarted = performance.now();
    const fleet = await simulatedCluster(s, 'fleet', { app: options.instances - 1, router: 1 }, { bootMs: 1000, cpuPercent: 30, cpuJitter: 10 });
    const bootMs = performance.now() - bootStarted;
    const online = await onlineCount(s, fleet);
    rows.push([`${options.instances} instances online (boot 1 s, all at once)`, fmt(bootMs / 1000, 1), 's'], ['  of them online', online, 'instances']);
    const hostPid = simulatedCloud(s.scalarium).hostPid!;

    // (a) Steady state, after one full metrics interval has gone by.
    await sleep(WARM_UP_MS);
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const cpuBefore = process.cpuUsage();
    const hostCpuBefore = procCpuMs(hostPid);
    const reportsBefore = metricsReports;
    const heartbeatsBefore = heartbeats;
    const started = performance.now();
    let maxRss = 0;
    for (let second = 0; second < options.duration; second++) {
      await sleep(1000);
      maxRss = Math.max(maxRss, process.memoryUsage.rss());
    }
    const wallMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    const hostCpuAfter = procCpuMs(hostPid);
    delay.disable();
    rows.push(
      [`(a) server CPU, ${options.duration} s steady state`, fmt(((cpu.user + cpu.system) / 1000 / wallMs) * 100, 1), '% of one core'],
      ['    server RSS (max, sampled every second)', mb(maxRss), 'MB'],
      ['    server event-loop delay p99 / max', `${fmt(delay.percentile(99) / 1e6, 1)} / ${fmt(delay.max / 1e6, 1)}`, 'ms'],
      ['    metrics reports / heartbeats received', `${metricsReports - reportsBefore} / ${heartbeats - heartbeatsBefore}`, `in ${fmt(wallMs / 1000)} s`],
      ['    fleet host CPU (the simulation, not the server)', hostCpuBefore === undefined || hostCpuAfter === undefined ? '-' : fmt(((hostCpuAfter - hostCpuBefore) / wallMs) * 100, 1), '% of one core'],
      ['    fleet host RSS', mb(procRssBytes(hostPid)), 'MB'],
    );

    // (b) One membership change: an instance is added; when it is online, configure reaches every online instance.
    let configureStartedAt = 0;
    let configureEndedAt = 0;
    s.scalarium.hooks.configure.tapPromise({ name: 'bench', stage: -1000 }, async () => void (configureStartedAt ||= performance.now()));
    s.scalarium.hooks.configure.tapPromise({ name: 'bench', stage: 1000 }, async () => void (configureEndedAt ||= performance.now()));
    const changedAt = performance.now();
    const runsBefore = new Set((await listEventRuns(s.scalarium.db, fleet.id, 1_000_000)).map((r) => r.id));
    await setRoleCounts(s.scalarium.db, fleet.id, { app: options.instances });
    await reconcileCluster(s.scalarium, fleet);
    while (!configureEndedAt) await sleep(10);
    const acks = (await listEventRuns(s.scalarium.db, fleet.id, 1_000_000)).filter((r) => !runsBefore.has(r.id) && r.event === 'configure');
    rows.push(
      ['(b) new instance online, configure starts', fmt(configureStartedAt - changedAt), 'ms after the change'],
      ['    configure on every instance, all acked', fmt(configureEndedAt - configureStartedAt), 'ms'],
      ['    configure runs acked (succeeded) / recorded', `${acks.filter((r) => r.status === 'succeeded').length} / ${acks.length}`, 'instances'],
    );

    // The fleet goes (terminated, no shutdown events: nothing runs on it) before the scaling is measured alone.
    for (const instance of await listInstances(s.scalarium.db, fleet.id)) await s.scalarium.provider(PROVIDER).terminate(instance);

    // (c) Scale 10 → N with a simulated boot of 1 s.
    const scaled = await simulatedCluster(s, 'scaled', { app: 10 }, { bootMs: 1000 });
    const scaleStarted = performance.now();
    await setRoleCounts(s.scalarium.db, scaled.id, { app: options.scaleTo });
    await reconcileCluster(s.scalarium, scaled);
    const converged = performance.now() - scaleStarted;
    rows.push(
      [`(c) scale 10 → ${options.scaleTo} (boot 1 s): all online`, fmt(converged / 1000, 2), 's'],
      ['    online', await onlineCount(s, scaled), 'instances'],
    );
  } finally {
    printTable(rows);
    console.log(`load average after: ${load()}`);
    await close();
  }
}

if (isMain(import.meta.url)) {
  const argv = process.argv.slice(2);
  simulatedFleetBench({ instances: intArg(argv, 'instances', 1000), duration: intArg(argv, 'duration', 60), scaleTo: intArg(argv, 'scale-to', 500) })
    .then(() => runCleanups(), async (error: Error) => {
      console.error(error);
      await runCleanups();
      process.exitCode = 1;
    });
}
