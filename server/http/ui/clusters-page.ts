// GET /clusters : the clusters the user may read — provider, roles, instance states, apps — and for
// admins a form to create one. GET /clusters/:cluster : its settings (never credentials: clusterJson
// masks them), roles with a scale form, instances (with the last output of one that failed or
// died), apps and the lifecycle event runs with their output; admins may destroy it. Every change
// goes through core/cluster-service.ts, like the API.
import type Router from '@koa/router';
import type Koa from 'koa';
import type { Scalarium } from '../../core/scalarium.ts';
import { ScalariumError } from '../../core/errors.ts';
import { createClusterFor, destroyCluster, requireCluster, scaleCluster } from '../../core/cluster-service.ts';
import { listEventRuns } from '../../db/clusters.ts';
import { listClusters } from '../../db/instances.ts';
import { clusterJson } from '../api/clusters.ts';
import { authorizeCluster, authorizeServer, mayOnCluster } from './authorize.ts';
import { readCheckedForm } from './csrf.ts';
import { requireSession, seeOther, type UiSession } from './session.ts';
import { clusterTabs, flash, view } from './view.ts';

type Form = Record<string, string>;
type ClusterView = Awaited<ReturnType<typeof clusterJson>>;

interface Messages {
  notice?: string;
  error?: { message: string; hint?: string };
  /** What was typed into the new-cluster form, kept when it failed. */
  clusterForm?: Form;
  /** What was typed into the add-role form, kept when it failed. */
  roleForm?: { role: string; count: string };
}

/** Instance states in lifecycle order, for the summary ("2 online, 1 booting"). */
const STATES = ['online', 'setup', 'booting', 'requested', 'draining', 'failed', 'stopped'];
const EVENT_RUNS_SHOWN = 100;

function stateSummary(instances: ClusterView['instances']): Array<{ state: string; count: number }> {
  const counts = new Map<string, number>();
  for (const instance of instances) counts.set(instance.state, (counts.get(instance.state) ?? 0) + 1);
  const order = (state: string) => (STATES.includes(state) ? STATES.indexOf(state) : STATES.length);
  return [...counts].sort(([a], [b]) => order(a) - order(b)).map(([state, count]) => ({ state, count }));
}

/**
 * Roles with their desired count and how many of their instances are online. A role with instances
 * but no stored count (the local provider's default app and router) shows its live instances.
 */
function rolesWithCounts(cluster: ClusterView) {
  const online = (role: string) => cluster.instances.filter((i) => i.role === role && i.state === 'online').length;
  const stored = cluster.roles.map((role) => ({ ...role, online: online(role.name), implicit: false }));
  const implicit = [...new Set(cluster.instances.map((i) => i.role))].filter((role) => !cluster.roles.some((r) => r.name === role)).map((role) => ({
    name: role, count: cluster.instances.filter((i) => i.role === role && i.state !== 'stopped' && i.state !== 'failed').length, online: online(role), implicit: true,
  }));
  return [...stored, ...implicit].sort((a, b) => a.name.localeCompare(b.name));
}

/** Settings as label/value rows; credentials are only ever "stored (encrypted)" or the server's chain. */
function settingRows(cluster: ClusterView): Array<{ label: string; value: string }> {
  const s = cluster.settings;
  const rows: Array<{ label: string; value: string | undefined }> = [
    { label: 'Region', value: s.region },
    { label: 'Endpoint', value: s.endpoint },
    { label: 'Image', value: s.image },
    { label: 'Instance type', value: s.instanceType },
    { label: 'Subnet', value: s.subnet },
    { label: 'Key pair', value: s.keyPair },
    { label: 'Market', value: s.spot === undefined ? undefined : s.spot ? 'spot' : 'on-demand' },
    { label: 'Server URL for instances', value: s.serverUrl },
    { label: 'Elastic IP for routers', value: s.elasticIpForRouters === undefined ? undefined : s.elasticIpForRouters ? 'yes' : 'no' },
  ];
  if (cluster.provider !== 'local') rows.push({ label: 'Credentials', value: s.credentials ?? "the server's AWS credential chain" });
  return rows.filter((r): r is { label: string; value: string } => typeof r.value === 'string' && r.value !== '');
}

function duration(ms: number | null): string {
  if (ms === null || ms === undefined) return '';
  return ms < 1000 ? `${ms} ms` : ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

async function renderClustersPage(scalarium: Scalarium, ctx: Koa.Context, session: UiSession, messages: Messages = {}, status = 200): Promise<void> {
  const clusters = [];
  for (const cluster of await listClusters(scalarium.db)) {
    if (!(await mayOnCluster(scalarium, session.principal, 'read', cluster.name))) continue;
    const json = await clusterJson(scalarium, cluster);
    clusters.push({ ...json, roles: rolesWithCounts(json), states: stateSummary(json.instances) });
  }
  const providers = [...scalarium.providers.keys()];
  const form = messages.clusterForm ?? {};
  view(scalarium, ctx, 'clusters', {
    title: 'Clusters',
    clusters,
    canCreate: session.admin,
    providers: providers.map((name) => ({ name, selected: name === (form.provider || 'local') })),
    clusterForm: { app: '1', router: '1', ...form },
    ...messages,
  }, session);
  ctx.status = status;
}

async function renderClusterPage(scalarium: Scalarium, ctx: Koa.Context, session: UiSession, name: string, messages: Messages = {}, status = 200): Promise<void> {
  const cluster = await requireCluster(scalarium, name);
  const json = await clusterJson(scalarium, cluster);
  const can = {
    scale: await mayOnCluster(scalarium, session.principal, 'scale', cluster.name),
    destroy: cluster.name !== scalarium.defaultCluster?.name && (await mayOnCluster(scalarium, session.principal, 'admin', cluster.name)),
  };
  const events = (await listEventRuns(scalarium.db, cluster.id, EVENT_RUNS_SHOWN)).map((run) => ({
    ...run, duration: duration(run.durationMs), hasOutput: Boolean(run.output && run.output.trim()),
  }));
  view(scalarium, ctx, 'cluster', {
    title: `Cluster ${cluster.name}`,
    ...clusterTabs(scalarium, session, cluster.name, `/clusters/${encodeURIComponent(cluster.name)}`),
    // An instance that failed or died shows the last lines it printed (escaped by the template).
    cluster: { ...json, instances: json.instances.map((i) => ({ ...i, lastOutputText: i.lastOutput?.join('\n') ?? '' })) },
    settings: settingRows(json),
    roles: rolesWithCounts(json),
    states: stateSummary(json.instances),
    events,
    eventsShown: EVENT_RUNS_SHOWN,
    isDefault: cluster.name === scalarium.defaultCluster?.name,
    can,
    roleForm: { role: '', count: '1' },
    ...messages,
  }, session);
  ctx.status = status;
}

/** A count typed into a form: up to three digits, anything else is NaN (refused by the service). */
function count(value: string | undefined): number {
  const text = (value ?? '').trim();
  return /^\d{1,3}$/.test(text) ? Number(text) : Number.NaN;
}

/** The new-cluster form as the body of POST /api/clusters (credentials are never entered here). */
function clusterBody(form: Form): Record<string, unknown> {
  const text = (key: string) => (form[key] ?? '').trim();
  const settings: Record<string, unknown> = {
    region: text('region'), endpoint: text('endpoint'), image: text('image'), instanceType: text('instanceType'),
    subnet: text('subnet'), keyPair: text('keyPair'),
  };
  if (form.spot === 'on') settings.spot = true;
  return { name: text('name'), provider: text('provider') || 'local', settings, roles: { app: count(form.app), router: count(form.router) } };
}

const errorOf = (error: ScalariumError) => ({ message: error.message, hint: error.hint });

type Handler = (session: UiSession, form: Form, ctx: Koa.Context) => Promise<void>;

/** A POST form: session, origin + CSRF, then the handler; catalogue errors re-render with their status. */
function formPost(scalarium: Scalarium, router: Router, path: string, handle: Handler, onError: (session: UiSession, form: Form, ctx: Koa.Context, error: ScalariumError) => Promise<void>): void {
  router.post(path, async (ctx) => {
    const session = await requireSession(scalarium, ctx);
    if (!session) return;
    const form = await readCheckedForm(scalarium, ctx, session);
    await handle(session, form, ctx).catch(async (error: unknown) => {
      if (!(error instanceof ScalariumError) || error.status === 403 || error.code === 'cluster_not_found') throw error;
      await onError(session, form, ctx, error);
    });
  });
}

export function clustersPageRoutes(scalarium: Scalarium, router: Router): void {
  router.get('/clusters', async (ctx) => {
    const session = await requireSession(scalarium, ctx);
    if (!session) return;
    await renderClustersPage(scalarium, ctx, session, { notice: flash(ctx, 'notice') });
  });

  router.get('/clusters/:cluster', async (ctx) => {
    const session = await requireSession(scalarium, ctx);
    if (!session) return;
    await authorizeCluster(scalarium, ctx, session.principal, 'read', ctx.params.cluster);
    await renderClusterPage(scalarium, ctx, session, ctx.params.cluster, { notice: flash(ctx, 'notice') });
  });

  formPost(scalarium, router, '/clusters', async (session, form, ctx) => {
    await authorizeServer(scalarium, ctx, session.principal, 'admin');
    const cluster = await createClusterFor(scalarium, session.principal, clusterBody(form));
    seeOther(ctx, `/clusters/${cluster.name}?notice=${encodeURIComponent(`Created cluster ${cluster.name}: its instances are being launched`)}`);
  }, async (session, form, ctx, error) => {
    const { csrf: _csrf, ...typed } = form;
    await renderClustersPage(scalarium, ctx, session, { clusterForm: typed, error: errorOf(error) }, error.status);
  });

  formPost(scalarium, router, '/clusters/:cluster/scale', async (session, form, ctx) => {
    await authorizeCluster(scalarium, ctx, session.principal, 'scale', ctx.params.cluster);
    const cluster = await requireCluster(scalarium, ctx.params.cluster);
    const role = (form.role ?? '').trim();
    const roles = await scaleCluster(scalarium, session.principal, cluster.name, { [role]: count(form.count) });
    seeOther(ctx, `/clusters/${cluster.name}?notice=${encodeURIComponent(`Scaled ${role} to ${roles.find((r) => r.name === role)?.count ?? '?'}`)}`);
  }, async (session, form, ctx, error) => {
    await renderClusterPage(scalarium, ctx, session, ctx.params.cluster, { roleForm: { role: form.role ?? '', count: form.count ?? '' }, error: errorOf(error) }, error.status);
  });

  formPost(scalarium, router, '/clusters/:cluster/destroy', async (session, form, ctx) => {
    await authorizeCluster(scalarium, ctx, session.principal, 'admin', ctx.params.cluster);
    const cluster = await requireCluster(scalarium, ctx.params.cluster);
    if ((form.confirm ?? '').trim() !== cluster.name) {
      throw new ScalariumError('invalid_body', { reason: `type the cluster's name (${cluster.name}) to confirm` });
    }
    await destroyCluster(scalarium, session.principal, cluster.name);
    seeOther(ctx, `/clusters?notice=${encodeURIComponent(`Destroyed cluster ${cluster.name}`)}`);
  }, async (session, _form, ctx, error) => {
    await renderClusterPage(scalarium, ctx, session, ctx.params.cluster, { error: errorOf(error) }, error.status);
  });
}
