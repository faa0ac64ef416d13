// The app's own lifecycle hooks, as Scalarium's custom recipes: `.scalarium/hooks/<event>` in the
// app's slug runs on the instance after the agent has done its part, with the cluster JSON (roles,
// instances, addresses, apps) on stdin. The script is the app's own code, run in its directory.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { LifecycleEventName } from './protocol.ts';

const TIMEOUT_MS = 120_000;
const MAX_OUTPUT = 64 * 1024;

export interface HookResult { app: string; ran: boolean; ok: boolean; output: string }

export function runAppHook(app: string, slugDir: string, event: LifecycleEventName, clusterJson: string, env: Record<string, string>): Promise<HookResult> {
  const script = path.join(slugDir, '.scalarium', 'hooks', event);
  if (!fs.existsSync(script)) return Promise.resolve({ app, ran: false, ok: true, output: '' });
  return new Promise((resolve) => {
    const child = spawn(script, [], { cwd: slugDir, env: { ...env, SCALARIUM_EVENT: event, SCALARIUM_APP: app }, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
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
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ app, ran: true, ok: code === 0, output });
    });
  });
}
