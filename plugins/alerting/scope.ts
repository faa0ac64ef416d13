// The app or cluster a request's path names (`:app` or `:cluster`), as it exists: 404 otherwise.
// The API routes and the pages of alerting both start here.
import type Koa from 'koa';
import { findCluster, requireApp, ScalariumError, type Scalarium } from '../../server/plugin-api.ts';
import type { Scope } from './service.ts';

export async function scopeOf(scalarium: Scalarium, ctx: Koa.Context, kind: 'app' | 'cluster'): Promise<Scope> {
  const params = ctx.params as Record<string, string>;
  if (kind === 'app') return { kind, name: (await requireApp(scalarium, params.app!)).name };
  const cluster = await findCluster(scalarium.db, params.cluster!);
  if (!cluster) throw new ScalariumError('cluster_not_found', { cluster: params.cluster! });
  return { kind, name: cluster.name };
}
