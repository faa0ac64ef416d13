// Runs a confined command to completion and collects its output: in a session of its own (no
// controlling terminal it could push keystrokes into), its whole process group killed on timeout
// and once it exits. What it started outside its group (after setsid) and that still holds its
// pipes gets a moment to flush and is not waited for.
import { spawn } from 'node:child_process';
import type { ConfinedCommand } from './confine.ts';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr as they came, interleaved. */
  output: string;
  timedOut: boolean;
}

export interface RunOptions {
  timeoutMs: number;
  /** Per stream (and for `output`); the rest is dropped. */
  maxOutput?: number;
  /** Written to stdin, which is then closed; stdin is /dev/null without it. */
  input?: string;
}

const FLUSH_GRACE_MS = 500;

export function runConfined(cmd: ConfinedCommand, env: Record<string, string>, options: RunOptions): Promise<RunResult> {
  const max = options.maxOutput ?? 1024 * 1024;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd.file, cmd.args, { cwd: cmd.cwd, env, detached: true, stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    const result: RunResult = { code: null, stdout: '', stderr: '', output: '', timedOut: false };
    const collect = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      const text = chunk.toString();
      if (result[stream].length < max) result[stream] += text;
      if (result.output.length < max) result.output += text;
    };
    child.stdout!.on('data', collect('stdout'));
    child.stderr!.on('data', collect('stderr'));
    if (child.stdin) {
      child.stdin.on('error', () => {});
      child.stdin.end(options.input);
    }
    const killGroup = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    };
    const timer = setTimeout(() => {
      result.timedOut = true;
      killGroup();
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      result.code = code;
      // What it left behind in its group goes too (bwrap's --die-with-parent covers the sandbox),
      // so the pipes close and the output is read to its end.
      killGroup();
      const done = () => resolve(result);
      const grace = setTimeout(done, FLUSH_GRACE_MS);
      child.once('close', () => {
        clearTimeout(grace);
        done();
      });
    });
  });
}
