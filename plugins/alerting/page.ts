// The Alerts pages: an app's or a cluster's tab (rules with their state, the form to add one for
// managers, the history with each delivery's outcome) and the server's page (the alerts firing
// wherever the viewer may look, the built-in alerts with admins' on/off switches, the notifiers
// with admins' forms). Every POST goes through formPost (session, CSRF, authorize).
import type Router from '@koa/router';
import type Koa from 'koa';
import {
  appTabs, authorizeApp, authorizeCluster, clusterTabs, flash, formPost, mayOnApp, mayOnCluster, requireSession, ScalariumError,
  view, withNotice, type Form, type FormError, type Scalarium, type UiSession,
} from '../../server/plugin-api.ts';
import { formatValue } from './messages.ts';
import {
  addNotifier, addRule, alertsOf, historyOf, notifierKinds, notifierViews, removeNotifier, removeRule, ruleViews, setBuiltin, testNotifier, type RuleView, type Scope,
} from './service.ts';
import { listRules } from './store.ts';
import { scopeOf } from './scope.ts';

export const serverAlertsPath = '/alerts';
export const appAlertsPath = (app: string): string => `/apps/${encodeURIComponent(app)}/alerts`;
export const clusterAlertsPath = (cluster: string): string => `/clusters/${encodeURIComponent(cluster)}/alerts`;

function shownRule(scalarium: Scalarium, r: RuleView) {
  const unit = scalarium.hooks.metricCatalogue.call([]).find((m) => m.name === r.metric)?.unit;
  return { ...r, valueShown: r.state === 'ok' || r.value === null ? '' : formatValue(r.value, unit), notifyShown: r.notify.length ? r.notify.join(', ') : 'default notifiers' };
}

async function renderScope(scalarium: Scalarium, ctx: Koa.Context, session: UiSession, scope: Scope, messages: { notice?: string; error?: FormError; form?: Form } = {}) {
  const path = scope.kind === 'app' ? appAlertsPath(scope.name) : clusterAlertsPath(scope.name);
  const canManage = scope.kind === 'app'
    ? await mayOnApp(scalarium, session.principal, 'manage', scope.name)
    : await mayOnCluster(scalarium, session.principal, 'manage', scope.name);
  const metrics = scalarium.hooks.metricCatalogue.call([]).filter((m) => m.about === scope.kind);
  const rules = (await alertsOf(scalarium, scope)).map((r) => shownRule(scalarium, r));
  view(scalarium, ctx, 'alerting/alerts', {
    title: `${scope.kind === 'app' ? scope.name : `Cluster ${scope.name}`} · alerts`,
    ...(scope.kind === 'app' ? { appName: scope.name, ...appTabs(scalarium, session, scope.name, path) } : { clusterName: scope.name, ...clusterTabs(scalarium, session, scope.name, path) }),
    action: path, isApp: scope.kind === 'app', canManage, metrics, notifiers: await notifierViews(scalarium, session.admin),
    own: rules.filter((r) => !r.builtin), builtins: rules.filter((r) => r.builtin),
    history: await historyOf(scalarium, scope, 50, session.admin), ...messages,
  }, session);
}

async function renderServer(scalarium: Scalarium, ctx: Koa.Context, session: UiSession, messages: { notice?: string; error?: FormError; form?: Form } = {}) {
  // One answer per app or cluster however many rules and events name it.
  const asked = new Map<string, Promise<boolean>>();
  const mayRead = (kind: string, name: string): Promise<boolean> => {
    const key = `${kind}:${name}`;
    let answer = asked.get(key);
    if (!answer) {
      answer = kind === 'app' ? mayOnApp(scalarium, session.principal, 'read', name)
        : kind === 'cluster' ? mayOnCluster(scalarium, session.principal, 'read', name) : Promise.resolve(session.admin);
      asked.set(key, answer);
    }
    return answer;
  };
  const rules = await listRules(scalarium.db);
  const visible: RuleView[] = [];
  for (const r of await ruleViews(scalarium, rules.filter((x) => x.enabled))) {
    if (r.state !== 'ok' && (await mayRead(r.scope.kind, r.scope.name))) visible.push(r);
  }
  const history = [];
  for (const e of await historyOf(scalarium, undefined, 200, session.admin)) {
    if (await mayRead(e.scope.kind, e.scope.name)) history.push(e);
    if (history.length >= 50) break;
  }
  view(scalarium, ctx, 'alerting/alerts-server', {
    title: 'Alerts', admin: session.admin, active: visible.map((r) => shownRule(scalarium, r)),
    builtins: await ruleViews(scalarium, rules.filter((r) => r.builtin), () => false),
    notifiers: await notifierViews(scalarium, session.admin), kinds: notifierKinds(scalarium).map((k) => ({ kind: k.kind, help: k.help })), history, ...messages,
  }, session);
}

export function alertingPages(scalarium: Scalarium, router: Router): void {
  for (const kind of ['app', 'cluster'] as const) {
    const base = kind === 'app' ? '/apps/:app/alerts' : '/clusters/:cluster/alerts';
    const pathOf = (scope: Scope) => (kind === 'app' ? appAlertsPath(scope.name) : clusterAlertsPath(scope.name));
    router.get(base, async (ctx) => {
      const session = await requireSession(scalarium, ctx);
      if (!session) return;
      const params = ctx.params as Record<string, string>;
      if (kind === 'app') await authorizeApp(scalarium, ctx, session.principal, 'read', params.app!);
      else await authorizeCluster(scalarium, ctx, session.principal, 'read', params.cluster!);
      await renderScope(scalarium, ctx, session, await scopeOf(scalarium, ctx, kind), { notice: flash(ctx, 'notice') });
    });
    const target = kind === 'app' ? ({ on: 'app', action: 'manage' } as const) : ({ on: 'cluster', action: 'manage' } as const);
    formPost(scalarium, router, {
      ...target, path: base,
      handle: async (ctx, session, form) => {
        const scope = await scopeOf(scalarium, ctx, kind);
        const op = form.op === 'below' ? 'below' : 'above';
        const rule = await addRule(scalarium, session.principal, scope, { metric: form.metric, [op]: form.threshold, for: form.for || '0', type: form.type, role: form.role, instance: form.instance, notify: form.notify });
        return withNotice(pathOf(scope), `Alert rule ${rule.id} added: ${rule.summary}`);
      },
      rerender: async (ctx, session, form, error) => renderScope(scalarium, ctx, session, await scopeOf(scalarium, ctx, kind), { error, form }),
    });
    formPost(scalarium, router, {
      ...target, path: `${base}/:id/remove`,
      handle: async (ctx, session) => {
        const scope = await scopeOf(scalarium, ctx, kind);
        await removeRule(scalarium, session.principal, scope, Number((ctx.params as Record<string, string>).id));
        return withNotice(pathOf(scope), 'Alert rule removed');
      },
      rerender: async (ctx, session, _form, error) => renderScope(scalarium, ctx, session, await scopeOf(scalarium, ctx, kind), { error }),
    });
  }

  router.get(serverAlertsPath, async (ctx) => {
    const session = await requireSession(scalarium, ctx);
    if (!session) return;
    await renderServer(scalarium, ctx, session, { notice: flash(ctx, 'notice') });
  });
  const admin = (path: string, act: (ctx: Koa.Context, session: UiSession, form: Form) => Promise<string>) => formPost(scalarium, router, {
    on: 'server', action: 'admin', path,
    handle: async (ctx, session, form) => withNotice(serverAlertsPath, await act(ctx, session, form)),
    rerender: (ctx, session, form, error) => renderServer(scalarium, ctx, session, { error, form }),
  });
  admin('/alerts/notifiers', async (_ctx, session, form) => {
    const kind = notifierKinds(scalarium).find((k) => k.kind === form.kind);
    const n = await addNotifier(scalarium, session.principal, { name: form.name, kind: form.kind, default: form.default, ...(kind ? { [kind.kind]: form.target } : {}) });
    return `Notifier ${n.name} added: sends to ${n.sendsTo}`;
  });
  admin('/alerts/notifiers/:name/remove', async (ctx, session) => {
    await removeNotifier(scalarium, session.principal, (ctx.params as Record<string, string>).name!);
    return 'Notifier removed';
  });
  admin('/alerts/notifiers/:name/test', async (ctx, session) => {
    const name = (ctx.params as Record<string, string>).name!;
    const result = await testNotifier(scalarium, session.principal, name, 10_000);
    if (!result.sent) throw new ScalariumError('invalid_body', { reason: `the test message could not be sent through ${name}: ${result.error}` });
    return `A test message went to ${name}`;
  });
  admin('/alerts/builtin/:name', async (ctx, session, form) => {
    const rule = await setBuiltin(scalarium, session.principal, (ctx.params as Record<string, string>).name!, form.enabled === 'true');
    return `Built-in alert ${rule.builtin} is ${rule.enabled ? 'on' : 'off'}`;
  });
}
