// Releases are append-only (invariant 2): insert and read, never update or delete one by one.
import { now, type Db } from './knex.ts';

export interface Release {
  version: number;
  slug: string;
  commit: string | null;
  buildId: number | null;
  config: Record<string, string>;
  processTypes: Record<string, string>;
  description: string;
  timings: Record<string, number>;
  createdBy: string;
  createdAt: string;
}

export type NewRelease = Omit<Release, 'createdAt'>;

export async function latestRelease(db: Db, appId: number): Promise<Release | undefined> {
  const row = await db('releases').where({ app_id: appId }).orderBy('version', 'desc').first();
  return row ? toRelease(row) : undefined;
}

export async function findRelease(db: Db, appId: number, version: number): Promise<Release | undefined> {
  const row = await db('releases').where({ app_id: appId, version }).first();
  return row ? toRelease(row) : undefined;
}

export async function listReleases(db: Db, appId: number, limit = 50): Promise<Release[]> {
  return (await db('releases').where({ app_id: appId }).orderBy('version', 'desc').limit(limit)).map(toRelease);
}

export async function nextVersion(db: Db, appId: number): Promise<number> {
  const row = await db('releases').where({ app_id: appId }).max({ v: 'version' }).first();
  return Number(row?.v ?? 0) + 1;
}

export async function insertRelease(db: Db, appId: number, release: NewRelease): Promise<Release> {
  const createdAt = now();
  await db('releases').insert({
    app_id: appId, version: release.version, slug: release.slug, commit: release.commit, build_id: release.buildId,
    config: JSON.stringify(release.config), process_types: JSON.stringify(release.processTypes),
    description: release.description.slice(0, 255), timings: JSON.stringify(release.timings),
    created_by: release.createdBy, created_at: createdAt,
  });
  return { ...release, createdAt };
}

export async function slugsInUse(db: Db): Promise<Set<string>> {
  return new Set((await db('releases').distinct('slug')).map((r) => r.slug as string));
}

interface ReleaseRow {
  version: number; slug: string; commit: string | null; build_id: number | null; config: string;
  process_types: string; description: string; timings: string | null; created_by: string; created_at: string;
}

function toRelease(row: ReleaseRow): Release {
  return {
    version: row.version, slug: row.slug, commit: row.commit, buildId: row.build_id,
    config: JSON.parse(row.config), processTypes: JSON.parse(row.process_types), description: row.description,
    timings: row.timings ? JSON.parse(row.timings) : {}, createdBy: row.created_by, createdAt: row.created_at,
  };
}
