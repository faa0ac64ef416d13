// Invariant 4: every mutation of an app holds the app's lease for its whole duration.
import crypto from 'node:crypto';
import { ScalariumError } from './errors.ts';
import { currentHolder, release, renew, tryAcquire } from '../db/locks.ts';
import type { Scalarium } from './scalarium.ts';

const TTL_MS = 30_000;

export async function withAppLock<T>(scalarium: Scalarium, app: string, purpose: string, work: () => Promise<T>): Promise<T> {
  const name = `app:${app}`;
  const owner = `${scalarium.owner}:${crypto.randomBytes(4).toString('hex')}`;
  const lease = await tryAcquire(scalarium.db, name, owner, purpose, TTL_MS);
  if (!lease) {
    const holder = await currentHolder(scalarium.db, name);
    throw new ScalariumError('app_locked', { app, holder: holder?.purpose });
  }
  const renewal = setInterval(() => {
    renew(scalarium.db, name, owner, TTL_MS).catch(() => {});
  }, TTL_MS / 3);
  try {
    return await work();
  } finally {
    clearInterval(renewal);
    await release(scalarium.db, name, owner);
  }
}
