// The alerting API. Rules live on an app (/api/apps/:app/alerts) or a cluster
// (/api/clusters/:cluster/alerts): their viewers read rules, states and history; their managers
// add and remove rules. Notifiers are the server's: everyone may list them (names and where they
// send, never a secret), admins add, test and remove them and turn the built-in alerts off and on.
import type Router from '@koa/router';
import type Koa from 'koa';
import { appResource, clusterResource, declare, readJson, ScalariumError, serverResource, type Scalarium } from '../../server/plugin-api.ts';
import { addNotifier, addRule, alertsOf, historyOf, notifierViews, removeNotifier, removeRule, setBuiltin, testNotifier } from './service.ts';
import { scopeOf } from './scope.ts';
import { ruleViews } from './service.ts';
import { listRules } from './store.ts';

const limitOf = (ctx: Koa.Context) => {
  const n = Number(ctx.query.limit ?? 100);
  return Number.isInteger(n) && n > 0 ? Math.min(n, 500) : 100;
};

export function alertingRoutes(scalarium: Scalarium, router: Router, testTimeoutMs: number): void {
  for (const [base, resource, kind] of [
    ['/api/apps/:app', appResource, 'app'],
    ['/api/clusters/:cluster', clusterResource, 'cluster'],
  ] as const) {
    declare(scalarium, router, {
      method: 'get', path: `${base}/alerts`, action: 'read', resource,
      async handler(ctx) {
        ctx.body = await alertsOf(scalarium, await scopeOf(scalarium, ctx, kind));
      },
    });
    declare(scalarium, router, {
      method: 'post', path: `${base}/alerts`, action: 'manage', resource,
      async handler(ctx, principal) {
        const body = (await readJson(ctx)) as Record<string, unknown>;
        ctx.status = 201;
        ctx.body = await addRule(scalarium, principal, await scopeOf(scalarium, ctx, kind), body);
      },
    });
    declare(scalarium, router, {
      method: 'delete', path: `${base}/alerts/:id`, action: 'manage', resource,
      async handler(ctx, principal) {
        await removeRule(scalarium, principal, await scopeOf(scalarium, ctx, kind), Number(ctx.params.id));
        ctx.status = 204;
      },
    });
    declare(scalarium, router, {
      method: 'get', path: `${base}/alerts/history`, action: 'read', resource,
      async handler(ctx, principal) {
        ctx.body = await historyOf(scalarium, await scopeOf(scalarium, ctx, kind), limitOf(ctx), principal.user.admin && !principal.scope && !principal.role);
      },
    });
  }

  declare(scalarium, router, {
    method: 'get', path: '/api/alerts/builtin', action: 'read', resource: serverResource,
    async handler(ctx) {
      ctx.body = await ruleViews(scalarium, (await listRules(scalarium.db)).filter((r) => r.builtin), () => false);
    },
  });
  declare(scalarium, router, {
    method: 'put', path: '/api/alerts/builtin/:name', action: 'admin', resource: serverResource,
    async handler(ctx, principal) {
      const body = (await readJson(ctx)) as { enabled?: unknown };
      if (typeof body.enabled !== 'boolean') throw new ScalariumError('invalid_body', { reason: 'give {"enabled": true} or {"enabled": false}' });
      ctx.body = await setBuiltin(scalarium, principal, ctx.params.name!, body.enabled);
    },
  });

  declare(scalarium, router, {
    method: 'get', path: '/api/notifiers', action: 'read', resource: serverResource,
    async handler(ctx, principal) {
      // Where each sends (addresses, hosts) is the admins' to know.
      ctx.body = await notifierViews(scalarium, principal.user.admin && !principal.scope && !principal.role);
    },
  });
  declare(scalarium, router, {
    method: 'post', path: '/api/notifiers', action: 'admin', resource: serverResource,
    async handler(ctx, principal) {
      ctx.status = 201;
      ctx.body = await addNotifier(scalarium, principal, (await readJson(ctx)) as Record<string, unknown>);
    },
  });
  declare(scalarium, router, {
    method: 'delete', path: '/api/notifiers/:name', action: 'admin', resource: serverResource,
    async handler(ctx, principal) {
      await removeNotifier(scalarium, principal, ctx.params.name!);
      ctx.status = 204;
    },
  });
  declare(scalarium, router, {
    method: 'post', path: '/api/notifiers/:name/test', action: 'admin', resource: serverResource,
    async handler(ctx, principal) {
      ctx.body = await testNotifier(scalarium, principal, ctx.params.name!, testTimeoutMs);
    },
  });
}
