// Runs a confined command to completion and collects its stdout: in a session of its own (no
// controlling terminal it could push keystrokes into), its whole process group killed on timeout.
import { spawn } from 'node:child_process';
import type { ConfinedCommand } from './confine.ts';

export interface RunResult { code: number | null; stdout: string; stderr: string }

export function runConfined(cmd: ConfinedCommand, env: Record<string, string>, options: { timeoutMs: number; maxOutput?: number }): Promise<RunResult> {
  const max = options.maxOutput ?? 1024 * 1024;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd.file, cmd.args, { cwd: cmd.cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      if (stdout.length < max) stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      if (stderr.length < max) stderr += c.toString();
    });
    const killGroup = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    };
    const timer = setTimeout(killGroup, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      // What it left behind in its group goes too (bwrap's --die-with-parent covers the sandbox),
      // so the pipes close: the answer is read to its end before it counts.
      killGroup();
      child.once('close', () => resolve({ code, stdout, stderr }));
    });
  });
}
