// GET /status: what this server is and how it keeps apps apart (admins only: it names paths).
import type Router from '@koa/router';
import type { Scalarium } from '../../core/scalarium.ts';
import { VERSION } from '../../core/version.ts';
import { authorizeServer } from './authorize.ts';
import { requireSession } from './session.ts';
import { view } from './view.ts';

export function statusPageRoutes(scalarium: Scalarium, router: Router): void {
  router.get('/status', async (ctx) => {
    const session = await requireSession(scalarium, ctx);
    if (!session) return;
    await authorizeServer(scalarium, ctx, session.principal, 'admin');
    const { mode, summary, warning } = scalarium.isolation;
    view(scalarium, ctx, 'status', {
      title: 'Status', version: VERSION, serverId: scalarium.config.serverId, appsDir: scalarium.config.appsDir,
      isolation: { mode, summary, warning },
      notes: [...scalarium.statusNotes].map(([topic, note]) => ({ topic, ...note })),
      instances: scalarium.hub.connectedPeers().map((p) => ({ id: p.instanceId, kind: p.kind, address: p.address })),
    }, session);
  });
}
