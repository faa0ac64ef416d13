// Deployments: the rollout of one release, with its steps and result.
import { now, type Db } from './knex.ts';

export interface Step { name: string; ms: number; detail?: string }
export interface Deployment {
  id: number; appId: number; release: number; status: 'running' | 'succeeded' | 'failed';
  reason: string | null; steps: Step[]; startedAt: string; finishedAt: string | null;
}

export async function startDeployment(db: Db, appId: number, release: number, owner: string): Promise<number> {
  const [id] = await db('deployments').insert({ app_id: appId, release_version: release, status: 'running', steps: '[]', owner, started_at: now() });
  return Number(id);
}

export async function finishDeployment(db: Db, id: number, status: 'succeeded' | 'failed', steps: Step[], reason?: string): Promise<void> {
  await db('deployments').where({ id }).update({ status, steps: JSON.stringify(steps), reason: reason?.slice(0, 1000) ?? null, finished_at: now() });
}

export async function listDeployments(db: Db, appId: number, limit = 20): Promise<Deployment[]> {
  const rows = await db('deployments').where({ app_id: appId }).orderBy('id', 'desc').limit(limit);
  return rows.map((r) => ({
    id: r.id, appId: r.app_id, release: r.release_version, status: r.status, reason: r.reason,
    steps: JSON.parse(r.steps ?? '[]'), startedAt: r.started_at, finishedAt: r.finished_at,
  }));
}

/** Deployments whose server died mid-way are marked failed at the next start. */
export async function failInterruptedDeployments(db: Db, ownerPrefix: string, currentOwner: string): Promise<number> {
  return db('deployments').where({ status: 'running' }).where('owner', 'like', `${ownerPrefix}%`).whereNot({ owner: currentOwner })
    .update({ status: 'failed', reason: 'interrupted: the server stopped during this deployment', finished_at: now() });
}
