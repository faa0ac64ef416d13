// Build records; the build output itself is a file per build in <data>/builds/.
import { now, type Db } from './knex.ts';

export interface Build {
  id: number; appId: number; commit: string; status: 'running' | 'succeeded' | 'failed';
  buildpack: string | null; slug: string | null; processTypes: Record<string, string>;
  timings: Record<string, number>; createdBy: string; startedAt: string; finishedAt: string | null;
}

export async function startBuild(db: Db, appId: number, commit: string, createdBy: string): Promise<number> {
  const [id] = await db('builds').insert({ app_id: appId, commit, status: 'running', created_by: createdBy, started_at: now() });
  return Number(id);
}

export async function finishBuild(db: Db, id: number, result: Pick<Build, 'status' | 'buildpack' | 'slug' | 'processTypes' | 'timings'>): Promise<void> {
  await db('builds').where({ id }).update({
    status: result.status, buildpack: result.buildpack, slug: result.slug,
    process_types: JSON.stringify(result.processTypes), timings: JSON.stringify(result.timings), finished_at: now(),
  });
}

export async function listBuilds(db: Db, appId: number, limit = 20): Promise<Build[]> {
  return (await db('builds').where({ app_id: appId }).orderBy('id', 'desc').limit(limit)).map(toBuild);
}

export async function findBuild(db: Db, appId: number, id: number): Promise<Build | undefined> {
  const row = await db('builds').where({ app_id: appId, id }).first();
  return row ? toBuild(row) : undefined;
}

/** Builds cut short by a server that died are failed, not running forever. */
export async function failUnfinishedBuilds(db: Db): Promise<void> {
  await db('builds').where({ status: 'running' }).update({ status: 'failed', finished_at: now() });
}

function toBuild(row: Record<string, any>): Build {
  return {
    id: row.id, appId: row.app_id, commit: row.commit, status: row.status, buildpack: row.buildpack, slug: row.slug,
    processTypes: row.process_types ? JSON.parse(row.process_types) : {}, timings: row.timings ? JSON.parse(row.timings) : {},
    createdBy: row.created_by, startedAt: row.started_at, finishedAt: row.finished_at,
  };
}
