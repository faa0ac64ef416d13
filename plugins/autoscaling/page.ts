// The Autoscaling tabs of a cluster and of an app: each target's policy and schedules, its count and
// its metric over the last hour (as this server sampled them, drawn as SVG next to each other), the
// decisions with their reasons; for those who may scale, forms to set or remove a policy and to add
// or remove a schedule (the POST handlers check again).
import type Router from '@koa/router';
import type Koa from 'koa';
import {
  appTabs, authorizeApp, authorizeCluster, clusterTabs, flash, formPost, mayOnApp, mayOnCluster, requireApp, requireCluster, requireSession, view,
  withNotice, type Form, type FormError, type GraphOptions, type Scalarium, type UiSession,
} from '../../server/plugin-api.ts';
import type { Scaler } from './scaler.ts';
import {
  addScheduleFor, appAutoscaling, clusterAutoscaling, removePolicy, removeSchedule, roleTarget, setPolicy, typeTarget, type AutoscaleAnswer, type TargetView,
} from './service.ts';
import type { Target } from './target.ts';

export const clusterAutoscalePath = (cluster: string): string => `/clusters/${encodeURIComponent(cluster)}/autoscaling`;
export const appAutoscalePath = (app: string): string => `/apps/${encodeURIComponent(app)}/autoscaling`;

const HOUR_MS = 3_600_000;
/** The samples live in this server's memory: the graphs span them (at least 10 minutes, at most an hour). */
const MIN_SPAN_MS = 10 * 60_000;
/** Two graphs side by side in the content column. */
const GRAPH_WIDTH = 520;

function graphs(view: TargetView, name: string): GraphOptions[] {
  const to = Date.now();
  const from = Math.max(to - HOUR_MS, Math.min(view.samples[0]?.at ?? to, to - MIN_SPAN_MS));
  const points = view.samples.filter((s) => s.at >= from);
  const stepMs = points.length > 1 ? Math.max(1000, Math.round((points.at(-1)!.at - points[0]!.at) / (points.length - 1))) : 10_000;
  const count: GraphOptions = { id: `count-${name}`, title: `${name}: count`, unit: 'count', from, to, stepMs, width: GRAPH_WIDTH, series: [{ label: 'count', points: points.map((p) => ({ at: p.at, value: p.count })) }] };
  if (!view.policy) return [count];
  const unit = view.policy.metric === 'p95' ? 'ms' : view.policy.metric === 'load' ? 'load' : view.policy.metric === 'requests' ? 'per_second' : 'percent';
  return [count, { id: `metric-${name}`, title: `${name}: ${view.policy.metric}`, unit, from, to, stepMs, width: GRAPH_WIDTH, series: [{ label: view.policy.metric, points: points.map((p) => ({ at: p.at, value: p.value })) }] }];
}

/** The form's fields as the API's body: empty fields are left out. */
function policyOfForm(form: Form): Record<string, unknown> {
  const body: Record<string, unknown> = { metric: form.metric ?? '' };
  for (const key of ['min', 'max', 'step'] as const) if (form[key]) body[key] = /^\d+$/.test(form[key]!) ? Number(form[key]) : form[key];
  for (const key of ['above', 'below', 'target', 'for', 'cooldown'] as const) if (form[key]) body[key] = form[key];
  if (form.dryRun === 'on') body.dryRun = true;
  return body;
}

function scheduleOfForm(form: Form): Record<string, unknown> {
  return { count: /^\d+$/.test(form.count ?? '') ? Number(form.count) : form.count, cron: form.cron ?? '', tz: form.tz || 'UTC' };
}

export function autoscalingPages(scalarium: Scalarium, scaler: Scaler, router: Router): void {
  async function render(ctx: Koa.Context, session: UiSession, scope: { cluster: string } | { app: string }, messages: { notice?: string; error?: FormError; form?: Form } = {}) {
    const answer: AutoscaleAnswer = 'cluster' in scope
      ? await clusterAutoscaling(scalarium, scaler, scope.cluster)
      : await appAutoscaling(scalarium, scaler, scope.app);
    const targets = answer.targets.map((t) => ({ ...t, name: t.role ?? t.type!, graphs: graphs(t, t.role ?? t.type!) }));
    const common = { targets, decisions: answer.decisions, ...messages, form: messages.form ?? {} };
    if ('cluster' in scope) {
      view(scalarium, ctx, 'autoscaling/autoscaling', {
        title: `Cluster ${answer.cluster} · autoscaling`, clusterName: answer.cluster, heading: `Cluster ${answer.cluster}`, what: 'role', action: clusterAutoscalePath(answer.cluster!),
        ...clusterTabs(scalarium, session, answer.cluster!, clusterAutoscalePath(answer.cluster!)), canScale: await mayOnCluster(scalarium, session.principal, 'scale', answer.cluster!), ...common,
      }, session);
    } else {
      view(scalarium, ctx, 'autoscaling/autoscaling', {
        title: `${answer.app} · autoscaling`, appName: answer.app, heading: answer.app, what: 'process type', action: appAutoscalePath(answer.app!),
        ...appTabs(scalarium, session, answer.app!, appAutoscalePath(answer.app!)), canScale: await mayOnApp(scalarium, session.principal, 'scale', answer.app!), ...common,
      }, session);
    }
  }

  router.get('/clusters/:cluster/autoscaling', async (ctx) => {
    const session = await requireSession(scalarium, ctx);
    if (!session) return;
    await authorizeCluster(scalarium, ctx, session.principal, 'read', ctx.params.cluster!);
    await render(ctx, session, { cluster: ctx.params.cluster! }, { notice: flash(ctx, 'notice') });
  });
  router.get('/apps/:app/autoscaling', async (ctx) => {
    const session = await requireSession(scalarium, ctx);
    if (!session) return;
    await authorizeApp(scalarium, ctx, session.principal, 'read', ctx.params.app!);
    await render(ctx, session, { app: ctx.params.app! }, { notice: flash(ctx, 'notice') });
  });

  // The same four forms on both tabs: the target is the form's "name" (a role, or a process type).
  for (const on of ['cluster', 'app'] as const) {
    const base = on === 'cluster' ? '/clusters/:cluster/autoscaling' : '/apps/:app/autoscaling';
    const scopeOf = (ctx: Koa.Context) => (on === 'cluster' ? { cluster: ctx.params.cluster! } : { app: ctx.params.app! });
    const pathOf = (ctx: Koa.Context) => (on === 'cluster' ? clusterAutoscalePath(ctx.params.cluster!) : appAutoscalePath(ctx.params.app!));
    const targetOf = (ctx: Koa.Context, name: string | undefined): Promise<Target> => (on === 'cluster' ? roleTarget(scalarium, ctx.params.cluster, name) : typeTarget(scalarium, ctx.params.app!, name));
    const post = (suffix: string, act: (ctx: Koa.Context, session: UiSession, form: Form) => Promise<string>) => formPost(scalarium, router, {
      path: `${base}${suffix}`, on, action: 'scale',
      handle: async (ctx, session, form) => withNotice(pathOf(ctx), await act(ctx, session, form)),
      rerender: (ctx, session, form, error) => render(ctx, session, scopeOf(ctx), { error, form }),
    });
    post('/policy', async (ctx, session, form) => {
      const policy = await setPolicy(scalarium, scaler, session.principal, await targetOf(ctx, form.name), policyOfForm(form));
      return `${form.name}: ${policy.described}`;
    });
    post('/policy/remove', async (ctx, session, form) => {
      await removePolicy(scalarium, scaler, session.principal, await targetOf(ctx, form.name));
      return `${form.name}: policy removed`;
    });
    post('/schedules', async (ctx, session, form) => {
      const schedule = await addScheduleFor(scalarium, session.principal, await targetOf(ctx, form.name), scheduleOfForm(form));
      return `${form.name}: ${schedule.count} at "${schedule.cron}" (${schedule.tz})`;
    });
    post('/schedules/remove', async (ctx, session, form) => {
      if (on === 'cluster') {
        const cluster = await requireCluster(scalarium, ctx.params.cluster);
        await removeSchedule(scalarium, session.principal, { clusterId: cluster.id, name: `cluster ${cluster.name}` }, form.id);
      } else {
        const app = await requireApp(scalarium, ctx.params.app!);
        await removeSchedule(scalarium, session.principal, { appId: app.id, name: `app ${app.name}` }, form.id);
      }
      return `schedule ${form.id} removed`;
    });
  }
}
