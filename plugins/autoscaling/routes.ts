// The autoscaling API. Reading needs the viewer role on the cluster or app; policies and schedules
// the scale role (as PATCH …/roles and …/formation do).
//   GET    /api/clusters/:cluster/autoscale                 targets, policies, schedules, decisions
//   PUT    /api/clusters/:cluster/autoscale/:role           set the role's policy
//   DELETE /api/clusters/:cluster/autoscale/:role           remove it
//   POST   /api/clusters/:cluster/autoscale/:role/schedules add a schedule
//   DELETE /api/clusters/:cluster/autoscale/schedules/:id   remove one
// and the same under /api/apps/:app/autoscale with a process type instead of a role.
import type Router from '@koa/router';
import { appResource, clusterResource, declare, readJson, requireApp, requireCluster, type Scalarium } from '../../server/plugin-api.ts';
import type { Scaler } from './scaler.ts';
import {
  addScheduleFor, appAutoscaling, clusterAutoscaling, removePolicy, removeSchedule, roleTarget, setPolicy, typeTarget,
} from './service.ts';

const limitOf = (value: unknown) => Math.min(500, Math.max(1, Number(value) || 50));

export function autoscalingRoutes(scalarium: Scalarium, scaler: Scaler, router: Router): void {
  const C = '/api/clusters/:cluster/autoscale';
  declare(scalarium, router, {
    method: 'get', path: C, action: 'read', resource: clusterResource,
    async handler(ctx) {
      ctx.body = await clusterAutoscaling(scalarium, scaler, ctx.params.cluster, limitOf(ctx.query.limit));
    },
  });
  // Declared before :role, so that "schedules" is never taken for a role's name.
  declare(scalarium, router, {
    method: 'delete', path: `${C}/schedules/:id`, action: 'scale', resource: clusterResource,
    async handler(ctx, principal) {
      const cluster = await requireCluster(scalarium, ctx.params.cluster);
      await removeSchedule(scalarium, principal, { clusterId: cluster.id, name: `cluster ${cluster.name}` }, ctx.params.id);
      ctx.status = 204;
    },
  });
  declare(scalarium, router, {
    method: 'put', path: `${C}/:role`, action: 'scale', resource: clusterResource,
    async handler(ctx, principal) {
      const target = await roleTarget(scalarium, ctx.params.cluster, ctx.params.role);
      ctx.body = await setPolicy(scalarium, scaler, principal, target, await readJson(ctx));
    },
  });
  declare(scalarium, router, {
    method: 'delete', path: `${C}/:role`, action: 'scale', resource: clusterResource,
    async handler(ctx, principal) {
      await removePolicy(scalarium, scaler, principal, await roleTarget(scalarium, ctx.params.cluster, ctx.params.role));
      ctx.status = 204;
    },
  });
  declare(scalarium, router, {
    method: 'post', path: `${C}/:role/schedules`, action: 'scale', resource: clusterResource,
    async handler(ctx, principal) {
      const target = await roleTarget(scalarium, ctx.params.cluster, ctx.params.role);
      ctx.body = await addScheduleFor(scalarium, principal, target, await readJson(ctx));
      ctx.status = 201;
    },
  });

  const A = '/api/apps/:app/autoscale';
  declare(scalarium, router, {
    method: 'get', path: A, action: 'read', resource: appResource,
    async handler(ctx) {
      ctx.body = await appAutoscaling(scalarium, scaler, ctx.params.app!, limitOf(ctx.query.limit));
    },
  });
  declare(scalarium, router, {
    method: 'delete', path: `${A}/schedules/:id`, action: 'scale', resource: appResource,
    async handler(ctx, principal) {
      const app = await requireApp(scalarium, ctx.params.app!);
      await removeSchedule(scalarium, principal, { appId: app.id, name: `app ${app.name}` }, ctx.params.id);
      ctx.status = 204;
    },
  });
  declare(scalarium, router, {
    method: 'put', path: `${A}/:type`, action: 'scale', resource: appResource,
    async handler(ctx, principal) {
      const target = await typeTarget(scalarium, ctx.params.app!, ctx.params.type);
      ctx.body = await setPolicy(scalarium, scaler, principal, target, await readJson(ctx));
    },
  });
  declare(scalarium, router, {
    method: 'delete', path: `${A}/:type`, action: 'scale', resource: appResource,
    async handler(ctx, principal) {
      await removePolicy(scalarium, scaler, principal, await typeTarget(scalarium, ctx.params.app!, ctx.params.type));
      ctx.status = 204;
    },
  });
  declare(scalarium, router, {
    method: 'post', path: `${A}/:type/schedules`, action: 'scale', resource: appResource,
    async handler(ctx, principal) {
      const target = await typeTarget(scalarium, ctx.params.app!, ctx.params.type);
      ctx.body = await addScheduleFor(scalarium, principal, target, await readJson(ctx));
      ctx.status = 201;
    },
  });
}
