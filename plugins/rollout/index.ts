// Zero-downtime rollout (the deploy hook): start the processes the release needs, wait until every
// one is ready, switch the router (configure), drain the old processes and stop them. If any new
// process fails, the new ones are stopped and nothing that serves has changed (invariant 3).
import crypto from 'node:crypto';
import {
  ScalariumError, timed, configureCluster, deleteProcesses, insertProcess, listProcesses, setRouted, updateProcess,
  findClusterById, listInstances, appUser, type Plugin, type Scalarium, type DeployContext, type ProcessRow,
  type Cluster, type Instance, type ProcessReport, type ProcessSpec, type Step,
} from '../../server/plugin-api.ts';

const NAME = 'rollout';
const STOP_GRACE_MS = 10_000;
const DRAIN_TIMEOUT_MS = 30_000;
/** Time allowed for fetching and unpacking a slug, on top of the readiness timeout. */
const START_ALLOWANCE_MS = 120_000;

interface Plan {
  keep: ProcessRow[];
  start: Array<{ type: string; index: number }>;
  stop: ProcessRow[];
}

/** Decides which processes stay, which start and which stop for the wanted formation. */
export function planRollout(
  existing: ProcessRow[], ctx: Pick<DeployContext, 'release' | 'formation' | 'replace' | 'onlyTypes'>,
  /** Processes on instances that are going away (draining, stopped) are replaced, not kept. */
  onUsableInstance: (p: ProcessRow) => boolean = () => true,
): Plan {
  const plan: Plan = { keep: [], start: [], stop: [] };
  const inScope = (type: string) => !ctx.onlyTypes || ctx.onlyTypes.includes(type);
  const types = new Set([...Object.keys(ctx.formation), ...existing.map((p) => p.type)]);
  for (const type of types) {
    const mine = existing.filter((p) => p.type === type);
    if (!inScope(type)) {
      plan.keep.push(...mine);
      continue;
    }
    const wanted = Object.hasOwn(ctx.release.processTypes, type) ? (ctx.formation[type] ?? 0) : 0;
    const reusable = ctx.replace ? [] : mine.filter((p) => p.release === ctx.release.version && p.state === 'ready' && onUsableInstance(p));
    const kept = reusable.slice(0, wanted);
    plan.keep.push(...kept);
    plan.stop.push(...mine.filter((p) => !kept.includes(p)));
    for (let i = kept.length; i < wanted; i++) plan.start.push({ type, index: i + 1 });
  }
  return plan;
}

async function requireCluster(scalarium: Scalarium, id: number): Promise<Cluster> {
  const cluster = await findClusterById(scalarium.db, id);
  if (!cluster) throw new Error(`cluster ${id} is missing`);
  return cluster;
}

function timedStep<T>(steps: Step[], name: string, fn: () => Promise<T>): Promise<T> {
  return timed(fn, (ms) => steps.push({ name, ms }));
}

function readinessFor(scalarium: Scalarium, config: Record<string, string>) {
  const seconds = Number(config.SCALARIUM_READINESS_TIMEOUT);
  return {
    path: config.SCALARIUM_READINESS_PATH?.startsWith('/') ? config.SCALARIUM_READINESS_PATH : '/',
    timeoutMs: Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 600) * 1000 : scalarium.config.readinessTimeoutMs,
    ...(config.SCALARIUM_READINESS_EXPECT ? { expect: config.SCALARIUM_READINESS_EXPECT } : {}),
  };
}

const LIVENESS_DEFAULTS = { intervalSeconds: 10, failures: 3 };
/** At least a second between probes (a probe may take 2 s: they never overlap), at most an hour. */
const LIVENESS_INTERVAL_RANGE = [1, 3600] as const;
const LIVENESS_FAILURES_RANGE = [1, 100] as const;

/**
 * The liveness check of the app's web processes, from its config vars: SCALARIUM_LIVENESS_PATH
 * (the readiness path by default; `off` turns the check off), SCALARIUM_LIVENESS_INTERVAL
 * (seconds) and SCALARIUM_LIVENESS_FAILURES (in a row). Like the readiness vars, a bad value falls
 * back to the default — said through `warn`, because a deploy is no time to fail on it.
 */
export function livenessFor(
  config: Record<string, string>, readiness: { path: string; expect?: string }, warn: (line: string) => void,
): ProcessSpec['liveness'] {
  const wanted = config.SCALARIUM_LIVENESS_PATH?.trim();
  if (wanted === 'off') return undefined;
  let path = readiness.path;
  if (wanted && wanted.startsWith('/')) path = wanted;
  else if (wanted) warn(`SCALARIUM_LIVENESS_PATH must be a path starting with / or "off", not "${wanted}": probing ${path}`);
  const number = (name: string, [min, max]: readonly [number, number], fallback: number, integer: boolean): number => {
    const raw = config[name]?.trim();
    if (!raw) return fallback;
    const n = Number(raw);
    if (Number.isFinite(n) && n >= min && n <= max && (!integer || Number.isInteger(n))) return n;
    warn(`${name} must be ${integer ? 'a whole number' : 'a number of seconds'} from ${min} to ${max}, not "${raw}": using ${fallback}`);
    return fallback;
  };
  return {
    path,
    intervalMs: Math.round(number('SCALARIUM_LIVENESS_INTERVAL', LIVENESS_INTERVAL_RANGE, LIVENESS_DEFAULTS.intervalSeconds, false) * 1000),
    failures: number('SCALARIUM_LIVENESS_FAILURES', LIVENESS_FAILURES_RANGE, LIVENESS_DEFAULTS.failures, true),
    // The readiness text belongs to the readiness path's answer: another path's need not contain it.
    ...(readiness.expect && path === readiness.path ? { expect: readiness.expect } : {}),
  };
}

async function appInstances(scalarium: Scalarium, clusterId: number): Promise<Instance[]> {
  const instances = (await listInstances(scalarium.db, clusterId)).filter((i) => i.role === 'app' && i.state === 'online' && scalarium.hub.peer(i.id));
  if (!instances.length) throw new ScalariumError('no_capacity', { reason: 'no app instance of this cluster is online' });
  return instances;
}

export async function stopProcesses(scalarium: Scalarium, processes: ProcessRow[]): Promise<void> {
  const byInstance = new Map<string, string[]>();
  for (const p of processes) byInstance.set(p.instanceId, [...(byInstance.get(p.instanceId) ?? []), p.id]);
  await Promise.all([...byInstance].map(async ([instanceId, ids]) => {
    // An instance that is away stops them when it reconnects (unknown processes are stopped then).
    if (scalarium.hub.peer(instanceId)) {
      await scalarium.hub.request(instanceId, { op: 'stop', ids, graceMs: STOP_GRACE_MS }, STOP_GRACE_MS + 10_000).catch(() => {});
    }
  }));
  await deleteProcesses(scalarium.db, processes.map((p) => p.id));
}

async function drainRouters(scalarium: Scalarium, processes: ProcessRow[]): Promise<void> {
  const backends = processes.filter((p) => p.routed && p.port).map((p) => ({ host: '127.0.0.1', port: p.port! }));
  if (!backends.length) return;
  await Promise.all(scalarium.hub.connectedPeers('router').map((router) =>
    scalarium.hub.request(router.instanceId, { op: 'drain', backends, timeoutMs: DRAIN_TIMEOUT_MS }, DRAIN_TIMEOUT_MS + 5000).catch(() => {})));
}

/** Batch size from the app's SCALARIUM_DEPLOY_BATCH_SIZE (processes per batch); all at once by default. */
export function batchSize(config: Record<string, string>, total: number): number {
  const n = Number(config.SCALARIUM_DEPLOY_BATCH_SIZE);
  return Number.isInteger(n) && n > 0 ? Math.min(n, Math.max(total, 1)) : Math.max(total, 1);
}

export async function rollout(scalarium: Scalarium, ctx: DeployContext): Promise<void> {
  const { app, release, output, steps } = ctx;
  const cluster = await requireCluster(scalarium, app.cluster_id);
  const existing = await listProcesses(scalarium.db, { appId: app.id });
  const online = new Set((await listInstances(scalarium.db, app.cluster_id)).filter((i) => i.state === 'online').map((i) => i.id));
  const plan = planRollout(existing, ctx, (p) => online.has(p.instanceId));
  const instances = plan.start.length ? await appInstances(scalarium, app.cluster_id) : [];
  const readiness = readinessFor(scalarium, release.config);
  const liveness = plan.start.some((s) => s.type === 'web')
    ? livenessFor(release.config, readiness, (line) => output.line(` !     ${line}`))
    : undefined;

  // Each new process goes to the least loaded online instance (processes of this app that stay count).
  const load = new Map(instances.map((i) => [i.id, plan.keep.filter((p) => p.instanceId === i.id).length]));
  const placement = plan.start.map(() => {
    const target = instances.reduce((best, i) => (load.get(i.id)! < load.get(best.id)! ? i : best), instances[0]!);
    load.set(target.id, load.get(target.id)! + 1);
    return target;
  });

  const startOne = async ({ type, index }: { type: string; index: number }, instance: Instance, started: ProcessRow[]) => {
    const id = `${app.name}-${type}-${crypto.randomBytes(5).toString('hex')}`;
    await insertProcess(scalarium.db, { id, appId: app.id, instanceId: instance.id, type, release: release.version });
    const row: ProcessRow = { id, appId: app.id, instanceId: instance.id, type, release: release.version, state: 'starting', routed: false, port: null, restarts: 0, startedAt: null };
    started.push(row);
    const spec: ProcessSpec = {
      id, app: app.name, type, release: release.version, command: release.processTypes[type]!,
      env: { ...release.config, DYNO: `${type}.${index}`, SCALARIUM_APP: app.name, SCALARIUM_RELEASE: `v${release.version}`, SCALARIUM_PROCESS_TYPE: type },
      slug: { sha256: release.slug, url: `${scalarium.baseUrl}/internal/slugs/${release.slug}` },
      user: appUser(scalarium.config.appUids, app.uid_index),
      ...(type === 'web' ? { readiness, ...(liveness ? { liveness } : {}) } : {}),
    };
    const report = await scalarium.hub.request<ProcessReport>(instance.id, { op: 'start', spec }, readiness.timeoutMs + START_ALLOWANCE_MS);
    row.state = 'ready';
    row.port = report.port;
    await updateProcess(scalarium.db, id, { state: 'ready', port: report.port, startedAt: report.startedAt });
    output.line(`       ${type}.${index} ready on ${instance.id}`);
  };

  // Old web processes leave the router as new ones join it, batch by batch; they keep running until
  // the whole deployment succeeded, so a failing batch rolls everything back at once.
  const oldRouted = plan.stop.filter((p) => p.routed);
  const size = batchSize(release.config, plan.start.length);
  const batches = plan.start.length ? Math.ceil(plan.start.length / size) : 0;
  const started: ProcessRow[] = [];
  const switchRouter = (reason: string) => configureCluster(scalarium, cluster, reason);
  try {
    for (let b = 0; b < batches; b++) {
      const batch = plan.start.slice(b * size, (b + 1) * size);
      const label = batches > 1 ? ` (batch ${b + 1}/${batches})` : '';
      output.line(`-----> Starting ${batch.length} process${batch.length === 1 ? '' : 'es'} of v${release.version}${label}`);
      await timedStep(steps, batches > 1 ? `start batch ${b + 1}` : 'start', async () => {
        const results = await Promise.allSettled(batch.map((item, n) => startOne(item, placement[b * size + n]!, started)));
        const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failure) throw new ScalariumError('deploy_failed', { reason: `${(failure.reason as Error).message}${label}` });
      });
      if (b === batches - 1) break;
      // Intermediate switch: this batch's web processes in, as many old ones out.
      const inWeb = started.filter((p) => p.type === 'web');
      await setRouted(scalarium.db, inWeb.map((p) => p.id), true);
      await setRouted(scalarium.db, oldRouted.slice(0, Math.min(inWeb.length, oldRouted.length - 1)).map((p) => p.id), false);
      await timedStep(steps, `switch batch ${b + 1}`, () => switchRouter(`deploy ${app.name} v${release.version}${label}`));
    }
    // Final switch: every new web process takes traffic, every replaced one stops taking it.
    const newWeb = [...plan.keep, ...started].filter((p) => p.type === 'web');
    await setRouted(scalarium.db, newWeb.map((p) => p.id), true);
    await setRouted(scalarium.db, plan.stop.map((p) => p.id), false);
    if (started.length || plan.stop.length) await timedStep(steps, 'switch', () => switchRouter(`deploy ${app.name} v${release.version}`));
  } catch (error) {
    // Roll the whole deployment back: the old processes are all still running.
    await setRouted(scalarium.db, oldRouted.map((p) => p.id), true);
    await setRouted(scalarium.db, started.map((p) => p.id), false);
    if (batches > 1 || !(error instanceof ScalariumError)) await switchRouter(`roll back ${app.name} v${release.version}`).catch(() => {});
    await drainRouters(scalarium, started.filter((p) => p.type === 'web').map((p) => ({ ...p, routed: true })));
    await stopProcesses(scalarium, started);
    if (error instanceof ScalariumError) throw error;
    throw new ScalariumError('deploy_failed', { reason: `could not switch the router: ${(error as Error).message}` });
  }
  if (plan.stop.length) {
    output.line(`-----> Stopping ${plan.stop.length} old process${plan.stop.length === 1 ? '' : 'es'}`);
    await timedStep(steps, 'drain', () => drainRouters(scalarium, plan.stop));
    await timedStep(steps, 'stop', () => stopProcesses(scalarium, plan.stop));
  }
}

export const rolloutPlugin: Plugin = {
  name: NAME,
  apply(scalarium) {
    scalarium.hooks.deploy.tapPromise(NAME, (ctx) => rollout(scalarium, ctx));
    scalarium.hooks.undeploy.tapPromise(NAME, async ({ app }) => {
      const processes = await listProcesses(scalarium.db, { appId: app.id });
      await setRouted(scalarium.db, processes.map((p) => p.id), false);
      const cluster = await requireCluster(scalarium, app.cluster_id);
      await configureCluster(scalarium, cluster, `undeploy ${app.name}`);
      await drainRouters(scalarium, processes);
      await stopProcesses(scalarium, processes);
    });
  },
};

export default rolloutPlugin;
