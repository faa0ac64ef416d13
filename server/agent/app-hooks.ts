// The app's own lifecycle hooks, as Scalarium's custom recipes: `.scalarium/hooks/<event>` in the
// app's slug runs on the instance after the agent has done its part, with the cluster JSON (roles,
// instances, addresses, apps) on stdin. The script is the app's own code, run in its directory,
// confined exactly like the app's processes.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { LifecycleEventName } from './protocol.ts';
import { confine, type UnixUser } from '../sandbox/confine.ts';
import type { SandboxPolicy } from './supervisor.ts';

const TIMEOUT_MS = 120_000;
const MAX_OUTPUT = 64 * 1024;

export interface HookResult { app: string; ran: boolean; ok: boolean; output: string }

export interface AppPlace { dir: string; tmp: string; user?: UnixUser }

export function runAppHook(
  app: string, place: AppPlace, event: LifecycleEventName, clusterJson: string, env: Record<string, string>, sandbox: SandboxPolicy,
): Promise<HookResult> {
  const slugDir = place.dir;
  const script = path.join(slugDir, '.scalarium', 'hooks', event);
  // lstat: a hook that is a symlink could name a file only the agent may read; the app's own uid
  // runs it anyway, but there is no reason to follow links here.
  const stat = fs.lstatSync(script, { throwIfNoEntry: false });
  if (!stat?.isFile()) return Promise.resolve({ app, ran: false, ok: true, output: '' });
  let command: ReturnType<typeof confine>;
  try {
    command = confine(sandbox.isolation, {
      user: place.user, writable: [place.dir, place.tmp], readable: sandbox.readable, hidden: sandbox.hidden, cwd: slugDir, ephemeral: true,
    }, [script]);
  } catch (error) {
    return Promise.resolve({ app, ran: true, ok: false, output: `could not run the hook: ${(error as Error).message}` });
  }
  const hookEnv = { ...env, HOME: slugDir, TMPDIR: sandbox.isolation.bwrap ? '/tmp' : place.tmp, SCALARIUM_EVENT: event, SCALARIUM_APP: app };
  return new Promise((resolve) => {
    const child = spawn(command.file, command.args, { cwd: command.cwd, env: hookEnv, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    let output = '';
    const collect = (chunk: Buffer) => {
      if (output.length < MAX_OUTPUT) output += chunk.toString();
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.stdin.on('error', () => {});
    child.stdin.end(clusterJson);
    const timer = setTimeout(() => {
      output += `\nhook ${event} timed out after ${TIMEOUT_MS / 1000} s`;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    }, TIMEOUT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ app, ran: true, ok: false, output: `${output}\ncould not run the hook: ${error.message}` });
    });
    // Done when the hook exits; what it left running (and holding its pipes open, say after setsid)
    // gets a moment to flush and is not waited for.
    child.on('exit', (code) => {
      clearTimeout(timer);
      const done = () => resolve({ app, ran: true, ok: code === 0, output });
      const grace = setTimeout(done, 500);
      child.once('close', () => {
        clearTimeout(grace);
        done();
      });
    });
  });
}
