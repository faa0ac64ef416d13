import type Router from '@koa/router';
import type { Scalarium } from '../../core/scalarium.ts';
import { declare, serverResource } from './route-table.ts';
import { routerPort } from './present.ts';
import { findCluster } from '../../db/instances.ts';
import { VERSION } from '../../core/version.ts';

export function statusRoutes(scalarium: Scalarium, router: Router): void {
  declare(scalarium, router, {
    method: 'get', path: '/api/status', action: 'read', resource: serverResource,
    async handler(ctx) {
      ctx.body = {
        version: VERSION, serverId: scalarium.config.serverId, domain: scalarium.config.domain,
        routerPort: await routerPort(scalarium, scalarium.defaultCluster && (await findCluster(scalarium.db, scalarium.defaultCluster.name))?.id), gitUrlBase: scalarium.baseUrl,
        instances: scalarium.hub.connectedPeers().map((p) => ({ id: p.instanceId, kind: p.kind })),
        notes: [...scalarium.statusNotes].map(([topic, note]) => ({ topic, ...note })),
        isolation: { mode: scalarium.isolation.mode, summary: scalarium.isolation.summary, ...(scalarium.isolation.warning ? { warning: scalarium.isolation.warning } : {}) },
      };
    },
  });
  declare(scalarium, router, {
    method: 'get', path: '/api/whoami', action: 'read', resource: serverResource,
    async handler(ctx, principal) {
      ctx.body = { user: { name: principal.user.name, admin: principal.user.admin }, token: { name: principal.tokenName } };
    },
  });
}
