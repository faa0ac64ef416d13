// Locking and unlocking, shared by the API and the UI: checked input, one audit row each.
import { ScalariumError, audit, requireApp, type Principal, type Scalarium } from '../../server/plugin-api.ts';
import { findLock, putLock, removeLock, type DeployLock } from './store.ts';

const MAX_REASON = 200;

export function lockJson(app: string, lock: DeployLock | undefined) {
  return lock ? { app, locked: true, ...lock } : { app, locked: false };
}

export function refusal(app: string, lock: DeployLock): string {
  return `deploys of ${app} are locked by ${lock.lockedBy} since ${lock.lockedAt}: ${lock.reason}. Unlock with \`scalarium apps:unlock --app ${app}\`.`;
}

export async function lockApp(scalarium: Scalarium, principal: Principal, name: string, reason: unknown) {
  const app = await requireApp(scalarium, name);
  const text = typeof reason === 'string' ? reason.trim() : reason === undefined ? '' : undefined;
  if (text === undefined || text.length > MAX_REASON || /[\u0000-\u001f\u007f]/.test(text)) {
    throw new ScalariumError('invalid_body', { reason: `reason must be one line of text, at most ${MAX_REASON} characters` });
  }
  const lock = { reason: text || 'no reason given', lockedBy: principal.user.name, lockedAt: new Date().toISOString() };
  await putLock(scalarium.db, app.id, lock);
  await audit(scalarium, principal, 'app.lock', app.name, { detail: { reason: lock.reason } });
  return lockJson(app.name, lock);
}

export async function unlockApp(scalarium: Scalarium, principal: Principal, name: string) {
  const app = await requireApp(scalarium, name);
  const was = await findLock(scalarium.db, app.id);
  if (await removeLock(scalarium.db, app.id)) await audit(scalarium, principal, 'app.unlock', app.name, { detail: { reason: was?.reason } });
  return lockJson(app.name, undefined);
}

export async function appLock(scalarium: Scalarium, name: string) {
  const app = await requireApp(scalarium, name);
  return lockJson(app.name, await findLock(scalarium.db, app.id));
}
