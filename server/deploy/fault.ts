// Fault injection for the crash tests: with SCALARIUM_FAULT_INJECTION=1 the server kills itself
// (SIGKILL, as a power cut would) when it reaches the step named in <data>/fault-kill-at. Off in
// production: without the variable nothing is read.
import fs from 'node:fs';
import path from 'node:path';
import type { Scalarium } from '../core/scalarium.ts';

/** The orchestrator's steps, in order: where a crash test may cut the power. */
export const STEPS = ['built', 'journaled', 'rolled-out', 'source-kept', 'committed', 'refs-moved'] as const;
export type Step = (typeof STEPS)[number];

export function faultPoint(scalarium: Scalarium, step: Step): void {
  if (process.env.SCALARIUM_FAULT_INJECTION !== '1') return;
  let wanted = '';
  try {
    wanted = fs.readFileSync(path.join(scalarium.config.dataDir, 'fault-kill-at'), 'utf8').trim();
  } catch {
    return;
  }
  if (wanted === step) process.kill(process.pid, 'SIGKILL');
}
