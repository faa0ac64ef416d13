// Locking and unlocking, shared by the API and the UI: checked input, one audit row each.
import { audit, parseBody, requireApp, type Principal, type Scalarium } from '../../server/plugin-api.ts';
import { findLock, putLock, removeLock, type DeployLock } from './store.ts';
import { lockBody } from './bodies.ts';

export function lockJson(app: string, lock: DeployLock | undefined) {
  return lock ? { app, locked: true, ...lock } : { app, locked: false };
}

export function refusal(app: string, lock: DeployLock): string {
  return `deploys of ${app} are locked by ${lock.lockedBy} since ${lock.lockedAt}: ${lock.reason}. Unlock with \`scalarium apps:unlock --app ${app}\`.`;
}

/** `reason` as the API's body or the lock tab's form gave it; checked here (lockBody), once the app is found. */
export async function lockApp(scalarium: Scalarium, principal: Principal, name: string, reason: unknown) {
  const app = await requireApp(scalarium, name);
  const text = parseBody(lockBody, { reason }).reason;
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
