// Releases are append-only (invariant 2): insert and read, never update or delete one by one.
import { now, type Db } from './knex.ts';
import { open, seal } from './sealed.ts';

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

/** A release's config snapshot is sealed like config vars, bound to its app and version. */
const releaseAad = (appId: number, version: number) => `release:${appId}:${version}`;

export async function latestRelease(db: Db, appId: number): Promise<Release | undefined> {
  const row = await db('releases').where({ app_id: appId }).orderBy('version', 'desc').first();
  return row ? toRelease(db, row) : undefined;
}

export async function findRelease(db: Db, appId: number, version: number): Promise<Release | undefined> {
  const row = await db('releases').where({ app_id: appId, version }).first();
  return row ? toRelease(db, row) : undefined;
}

export async function listReleases(db: Db, appId: number, limit = 50): Promise<Release[]> {
  return (await db('releases').where({ app_id: appId }).orderBy('version', 'desc').limit(limit)).map((row) => toRelease(db, row));
}

export async function nextVersion(db: Db, appId: number): Promise<number> {
  const row = await db('releases').where({ app_id: appId }).max({ v: 'version' }).first();
  return Number(row?.v ?? 0) + 1;
}

export async function insertRelease(db: Db, appId: number, release: NewRelease): Promise<Release> {
  const createdAt = now();
  await db('releases').insert({
    app_id: appId, version: release.version, slug: release.slug, commit: release.commit, build_id: release.buildId,
    config: seal(db, JSON.stringify(release.config), releaseAad(appId, release.version)), process_types: JSON.stringify(release.processTypes),
    description: release.description.slice(0, 255), timings: JSON.stringify(release.timings),
    created_by: release.createdBy, created_at: createdAt,
  });
  return { ...release, createdAt };
}

export async function slugsInUse(db: Db): Promise<Set<string>> {
  return new Set((await db('releases').distinct('slug')).map((r) => r.slug as string));
}

/** Re-seals every release's config snapshot (key rotation). Only the ciphertext changes. */
export async function resealReleases(db: Db, reseal: (value: string, aad: string) => string): Promise<number> {
  const rows = await db('releases').select('id', 'app_id', 'version', 'config');
  await db.transaction(async (trx) => {
    for (const r of rows) await trx('releases').where({ id: r.id }).update({ config: reseal(r.config, releaseAad(r.app_id, r.version)) });
  });
  return rows.length;
}

interface ReleaseRow {
  app_id: number;
  version: number; slug: string; commit: string | null; build_id: number | null; config: string;
  process_types: string; description: string; timings: string | null; created_by: string; created_at: string;
}

function toRelease(db: Db, row: ReleaseRow): Release {
  return {
    version: row.version, slug: row.slug, commit: row.commit, buildId: row.build_id,
    config: JSON.parse(open(db, row.config, releaseAad(row.app_id, row.version))), processTypes: JSON.parse(row.process_types), description: row.description,
    timings: row.timings ? JSON.parse(row.timings) : {}, createdBy: row.created_by, createdAt: row.created_at,
  };
}
