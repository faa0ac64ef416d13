// The few git operations the CLI needs, always through execFile with an argv array (never a shell
// string) and the caller's cwd and environment. The remote "scalarium" holds the plain git URL; git
// gets the API token from the credential helper `scalarium git-credential` (credential-helper.ts).
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
 * The git URL without any user name or password: the remote never holds the token (git gets it
 * from `scalarium git-credential`, see configureCredentialHelper).
 */
export function plainGitUrl(gitUrl: string): string {
  const url = new URL(gitUrl);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`expected an http(s) git URL, got ${JSON.stringify(redactUrl(gitUrl))}`);
  }
  url.username = '';
  url.password = '';
  return url.href;
}

/**
 * Makes git ask `helper` for the credentials of `origin` (e.g. "http://127.0.0.1:5050"), in the
 * repository's own config:
 *
 *   credential.<origin>.helper = ""          (forget helpers from ~/.gitconfig for this origin, so
 *                                             a store/keychain helper neither answers with a stale
 *                                             password nor saves the token)
 *   credential.<origin>.helper = <helper>
 *   credential.<origin>.useHttpPath = false  (one answer for every app on the server)
 *
 * Running it again replaces the earlier values.
 */
export async function configureCredentialHelper(options: GitOptions, origin: string, helper: string): Promise<void> {
  const key = `credential.${origin}`;
  try {
    await git(['config', '--local', '--unset-all', `${key}.helper`], options);
  } catch (error) {
    if ((error as { code?: unknown }).code !== 5) throw error; // 5: there was none
  }
  await git(['config', '--local', '--add', `${key}.helper`, ''], options);
  await git(['config', '--local', '--add', `${key}.helper`, helper], options);
  await git(['config', '--local', `${key}.useHttpPath`, 'false'], options);
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
