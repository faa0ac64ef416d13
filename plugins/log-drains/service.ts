// Adding, listing and removing drains, for the API and the UI alike: input checked (nothing is
// stored when it is wrong), one audit row per change, and the sender started or stopped with it.
import crypto from 'node:crypto';
import {
  audit, findCluster, outboundPolicy, parseBody, requireApp, ScalariumError, type Principal, type Scalarium,
} from '../../server/plugin-api.ts';
import { drainBody } from './bodies.ts';
import type { DrainDirectory } from './directory.ts';
import { parseDrainUrl } from './drain-url.ts';
import { drainExists, drainNotFound, refusedAddress, tooManyDrains } from './errors.ts';
import { redactUrl } from './redact.ts';
import { deleteDrain, insertDrain, listDrains, type DrainOwner, type DrainRow } from './store.ts';
import { DrainAddressError, vettedAddresses } from './vet.ts';
import { drainView, type DrainView } from './views.ts';

/** Per app and per cluster: enough for a log service, an archive and a SIEM, not a fan-out. */
export const MAX_DRAINS = 10;

export interface Drains { scalarium: Scalarium; directory: DrainDirectory }

export async function ownerOf(scalarium: Scalarium, kind: 'app' | 'cluster', name: string): Promise<DrainOwner> {
  if (kind === 'app') {
    const app = await requireApp(scalarium, name);
    return { kind, id: app.id, name: app.name };
  }
  const cluster = await findCluster(scalarium.db, name);
  if (!cluster) throw new ScalariumError('cluster_not_found', { cluster: name });
  return { kind, id: cluster.id, name: cluster.name };
}

const words = (owner: DrainOwner) => ({ owner: `${owner.kind} ${owner.name}`, flag: `--${owner.kind} ${owner.name}` });

export async function listOwnerDrains({ scalarium, directory }: Drains, owner: DrainOwner): Promise<DrainView[]> {
  return (await listDrains(scalarium.db, owner)).map((row) => drainView(row, directory.status(row)));
}

/** `body` as the API or the UI's form gave it: { url, format? }. */
export async function addDrain({ scalarium, directory }: Drains, principal: Principal, owner: DrainOwner, body: unknown): Promise<DrainView> {
  const { url, format } = parseBody(drainBody, body);
  const target = parseDrainUrl(url, format);
  const shownUrl = redactUrl(target.url);
  try {
    await vettedAddresses(target.host, target.port, outboundPolicy(scalarium));
  } catch (error) {
    if (error instanceof DrainAddressError) throw refusedAddress({ url: shownUrl, reason: error.message });
    throw error;
  }
  const existing = await listDrains(scalarium.db, owner);
  if (existing.some((drain) => drain.url === target.url)) throw drainExists({ ...words(owner), url: shownUrl });
  if (existing.length >= MAX_DRAINS) throw tooManyDrains({ ...words(owner), max: MAX_DRAINS });
  const row: DrainRow = {
    token: `d.${crypto.randomUUID()}`, owner, kind: target.kind, format: target.format, url: target.url, shownUrl,
    createdBy: principal.user.name, createdAt: new Date().toISOString(),
  };
  await insertDrain(scalarium.db, row);
  directory.start(row);
  await audit(scalarium, principal, 'drain.add', owner.name, { detail: { [owner.kind]: owner.name, drain: row.token, url: shownUrl } });
  return drainView(row, directory.status(row));
}

export async function removeDrain({ scalarium, directory }: Drains, principal: Principal, owner: DrainOwner, token: string): Promise<DrainView> {
  const row = (await listDrains(scalarium.db, owner)).find((drain) => drain.token === token);
  if (!row || !(await deleteDrain(scalarium.db, owner, token))) throw drainNotFound({ ...words(owner), drain: JSON.stringify(token.slice(0, 80)) });
  const view = drainView(row, directory.status(row));
  directory.stop(row);
  await audit(scalarium, principal, 'drain.remove', owner.name, { detail: { [owner.kind]: owner.name, drain: row.token, url: row.shownUrl } });
  return { ...view, state: 'stopped' };
}
