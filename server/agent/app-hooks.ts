// The app's own lifecycle hooks, as Scalarium's custom recipes: `.scalarium/hooks/<event>` in the
// app's slug runs on the instance after the agent has done its part, with the cluster JSON (roles,
// instances, addresses, apps) on stdin. The script is the app's own code, run in its directory,
// confined exactly like the app's processes.
import fs from 'node:fs';
import path from 'node:path';
import type { LifecycleEventName } from './protocol.ts';
import { confine, type UnixUser } from '../sandbox/confine.ts';
import { runConfined } from '../sandbox/run.ts';
import { ResourceGroup } from '../sandbox/cgroups.ts';
import type { SandboxPolicy } from './supervisor.ts';

const TIMEOUT_MS = 120_000;
const MAX_OUTPUT = 64 * 1024;

export interface HookResult { app: string; ran: boolean; ok: boolean; output: string }

export interface AppPlace { dir: string; tmp: string; user?: UnixUser }

export async function runAppHook(
  app: string, place: AppPlace, event: LifecycleEventName, clusterJson: string, env: Record<string, string>, sandbox: SandboxPolicy,
): Promise<HookResult> {
  const slugDir = place.dir;
  const script = path.join(slugDir, '.scalarium', 'hooks', event);
  // lstat: a hook that is a symlink could name a file only the agent may read; the app's own uid
  // runs it anyway, but there is no reason to follow links here.
  const stat = fs.lstatSync(script, { throwIfNoEntry: false });
  if (!stat?.isFile()) return { app, ran: false, ok: true, output: '' };
  let command: ReturnType<typeof confine>;
  let group: ResourceGroup | undefined;
  try {
    // The app's limits hold for its hooks too, in a group of their own (hooks run one at a time).
    if (sandbox.limits) group = await ResourceGroup.create(sandbox.limits.host, `${sandbox.limits.prefix}.hook-${app}`, sandbox.limits.app);
    command = confine(sandbox.isolation, {
      user: place.user, writable: [place.dir, place.tmp], readable: sandbox.readable, hidden: sandbox.hidden, cwd: slugDir, ephemeral: true,
      ...(group ? { cgroupProcs: group.procsFiles } : {}),
    }, [script]);
  } catch (error) {
    await group?.remove();
    return { app, ran: true, ok: false, output: `could not run the hook: ${(error as Error).message}` };
  }
  const hookEnv = { ...env, HOME: slugDir, TMPDIR: sandbox.isolation.bwrap ? '/tmp' : place.tmp, SCALARIUM_EVENT: event, SCALARIUM_APP: app };
  try {
    const run = await runConfined(command, hookEnv, { timeoutMs: TIMEOUT_MS, maxOutput: MAX_OUTPUT, input: clusterJson });
    const output = run.timedOut ? `${run.output}\nhook ${event} timed out after ${TIMEOUT_MS / 1000} s` : run.output;
    return { app, ran: true, ok: run.code === 0, output };
  } catch (error) {
    return { app, ran: true, ok: false, output: `could not run the hook: ${(error as Error).message}` };
  } finally {
    await group?.remove();
  }
}
