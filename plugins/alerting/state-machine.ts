// One rule's state for one subject, stepped by what was just observed: ok → pending when the
// condition starts to hold, pending → firing once it has held for the rule's duration, back to ok
// when it stops. Only pending → firing and firing → ok are told to anyone (one message each), so a
// condition that flaps inside the duration, or a burst of a hundred crashes, sends nothing more.
import type { AlertState } from './types.ts';

export interface Step {
  state: AlertState;
  /** ISO time since when the state holds */
  since: string;
  /** what to tell: set on pending → firing (or ok → firing when the duration is 0) and firing → ok */
  notify?: 'firing' | 'resolved';
}

export function step(current: { state: AlertState; since: string }, holds: boolean, now: number, forMs: number): Step {
  const at = new Date(now).toISOString();
  const unchanged = { state: current.state, since: current.since };
  if (!holds) return current.state === 'firing' ? { state: 'ok', since: at, notify: 'resolved' } : current.state === 'ok' ? unchanged : { state: 'ok', since: at };
  if (current.state === 'firing') return unchanged;
  // A clock that went back (pending since a time still to come) starts the pending time again.
  const since = current.state === 'pending' && Date.parse(current.since) <= now ? current.since : at;
  if (now - Date.parse(since) >= forMs) return { state: 'firing', since: at, notify: 'firing' };
  return { state: 'pending', since };
}

/** Whether a figure breaks the rule; no figure (nothing measured) breaks none. */
export function breaks(value: number | null, op: 'above' | 'below', threshold: number): boolean {
  if (value === null) return false;
  return op === 'above' ? value > threshold : value < threshold;
}
