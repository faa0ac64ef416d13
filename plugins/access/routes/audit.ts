import type Router from '@koa/router';
import { type Scalarium, declare, serverResource, queryAudit } from '../../../server/plugin-api.ts';
import { parseAuditQuery } from '../audit-query.ts';

export function auditRoutes(scalarium: Scalarium, router: Router): void {
  declare(scalarium, router, {
    method: 'get', path: '/api/audit', action: 'admin', resource: serverResource,
    async handler(ctx) {
      ctx.body = await queryAudit(scalarium.db, parseAuditQuery(ctx.query));
    },
  });
}
