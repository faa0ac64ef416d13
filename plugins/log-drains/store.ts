// The log_drains table (migrations/001-log-drains.ts). URLs are sealed here and opened here, bound to
// the drain's token, so a sealed URL cannot be moved to another row.
import { openSecret, sealSecret, type Db } from '../../server/plugin-api.ts';
import type { DrainFormat, DrainKind } from './drain-url.ts';

/** What a drain belongs to: one app, or a cluster (every app of it). */
export type DrainOwner = { kind: 'app'; id: number; name: string } | { kind: 'cluster'; id: number; name: string };

export interface DrainRow {
  token: string;
  owner: DrainOwner;
  kind: DrainKind;
  format: DrainFormat;
  /** The URL as given, credentials and all: for the sender only. */
  url: string;
  /** Redacted (redact.ts): what every output shows. */
  shownUrl: string;
  createdBy: string;
  createdAt: string;
}

const aad = (token: string) => `log-drains:${token}:url`;

const COLUMNS = ['log_drains.*', 'apps.name as app_name', 'clusters.name as cluster_name'];

function query(db: Db) {
  return db('log_drains')
    .leftJoin('apps', 'apps.id', 'log_drains.app_id')
    .leftJoin('clusters', 'clusters.id', 'log_drains.cluster_id')
    .orderBy('log_drains.id');
}

function toRow(db: Db, row: Record<string, any>): DrainRow {
  const owner: DrainOwner = row.app_id !== null && row.app_id !== undefined
    ? { kind: 'app', id: Number(row.app_id), name: row.app_name }
    : { kind: 'cluster', id: Number(row.cluster_id), name: row.cluster_name };
  return {
    token: row.token, owner, kind: row.kind, format: row.format, url: openSecret(db, row.url_sealed, aad(row.token)),
    shownUrl: row.url_shown, createdBy: row.created_by, createdAt: row.created_at,
  };
}

const ownerColumn = (owner: DrainOwner) => (owner.kind === 'app' ? 'log_drains.app_id' : 'log_drains.cluster_id');

export async function listDrains(db: Db, owner: DrainOwner): Promise<DrainRow[]> {
  return (await query(db).where(ownerColumn(owner), owner.id).select(COLUMNS)).map((row) => toRow(db, row));
}

/** Every drain of this server (the senders start from these). */
export async function allDrains(db: Db): Promise<DrainRow[]> {
  return (await query(db).select(COLUMNS)).map((row) => toRow(db, row));
}

export async function insertDrain(db: Db, drain: DrainRow): Promise<void> {
  await db('log_drains').insert({
    token: drain.token,
    app_id: drain.owner.kind === 'app' ? drain.owner.id : null,
    cluster_id: drain.owner.kind === 'cluster' ? drain.owner.id : null,
    kind: drain.kind, format: drain.format, url_sealed: sealSecret(db, drain.url, aad(drain.token)), url_shown: drain.shownUrl,
    created_by: drain.createdBy, created_at: drain.createdAt,
  });
}

/** True if the owner had that drain. */
export async function deleteDrain(db: Db, owner: DrainOwner, token: string): Promise<boolean> {
  return (await db('log_drains').where({ token }).where(ownerColumn(owner).replace('log_drains.', ''), owner.id).delete()) > 0;
}
