// The few git operations the CLI needs, always through execFile with an argv array (never a shell
// string) and the caller's cwd and environment.
import { execFile } from 'node:child_process';
import type { Env } from './config-store.ts';

/** The name of the git remote that points at the app's repository on the Scalarium server. */
export const REMOTE = 'scalarium';

export interface GitOptions {
  cwd: string;
  env: Env;
}

export function git(args: readonly string[], options: GitOptions): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd: options.cwd, env: options.env, timeout: 15_000, maxBuffer: 1 << 20, windowsHide: true },
      (error, stdout, stderr) => {
        if (error) reject(Object.assign(error, { stderr: String(stderr) }));
        else resolve({ stdout: String(stdout), stderr: String(stderr) });
      });
  });
}

/** True when `cwd` is inside a git repository (and git is installed). */
export async function isGitRepo(options: GitOptions): Promise<boolean> {
  try {
    await git(['rev-parse', '--git-dir'], options);
    return true;
  } catch {
    return false;
  }
}

/** The URL of the "scalarium" remote, or undefined (no repo, no such remote, no git). */
export async function getRemoteUrl(options: GitOptions, name = REMOTE): Promise<string | undefined> {
  try {
    const { stdout } = await git(['remote', 'get-url', name], options);
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Adds the remote, or points the existing one at `url`. */
export async function setRemote(options: GitOptions, url: string, name = REMOTE): Promise<'added' | 'updated'> {
  if (!/^https?:\/\//.test(url)) throw new Error(`refusing to set git remote to a non-HTTP URL: ${redactUrl(url)}`);
  if ((await getRemoteUrl(options, name)) !== undefined) {
    await git(['remote', 'set-url', name, url], options);
    return 'updated';
  }
  await git(['remote', 'add', name, url], options);
  return 'added';
}

export async function removeRemote(options: GitOptions, name = REMOTE): Promise<void> {
  await git(['remote', 'remove', name], options);
}

/**
 * `http://127.0.0.1:5050/shop.git` + token → `http://scalarium:<token>@127.0.0.1:5050/shop.git`.
 * The server takes any user name and the API token as the HTTP Basic password (docs/api.md, Git).
 * The URL class percent-encodes whatever needs it.
 */
export function embedCredentials(gitUrl: string, token: string, username = 'scalarium'): string {
  const url = new URL(gitUrl);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`expected an http(s) git URL, got ${JSON.stringify(redactUrl(gitUrl))}`);
  }
  url.username = username;
  url.password = token;
  return url.href;
}

/** The URL with any password replaced by `***`, for messages. */
export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '***';
    return url.href;
  } catch {
    return value.replace(/\/\/([^/@:]*):[^/@]*@/, '//$1:***@');
  }
}
