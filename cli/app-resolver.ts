// Which app a command acts on: `--app NAME` / `-a NAME`, else the app named by the git remote
// "scalarium" of the repository in the working directory (its URL path is `/<app>.git`).
import { isValidName } from '../server/core/names.ts';
import type { Env } from './config-store.ts';
import { CliError, UsageError } from './errors.ts';
import { getRemoteUrl, REMOTE, redactUrl } from './git.ts';

export const APP_NAME_HINT = 'App names are 1-30 lowercase letters, digits and dashes, starting with a letter (e.g. "shop").';

/**
 * The app name in a git URL: `http://scalarium:tok@host:5050/shop.git` → "shop". Also takes
 * scp-like `git@host:shop.git` and a path prefix (`https://host/git/shop.git`). Undefined when the
 * last path segment is not a valid app name.
 */
export function appFromGitUrl(gitUrl: string): string | undefined {
  let path: string;
  try {
    path = new URL(gitUrl).pathname;
  } catch {
    const scp = /^(?:[^@/\s]+@)?[^:/\s]+:(.+)$/.exec(gitUrl);
    if (!scp) return undefined;
    path = scp[1];
  }
  let last = path.replace(/\/+$/, '').split('/').pop() ?? '';
  try {
    last = decodeURIComponent(last);
  } catch {
    return undefined;
  }
  const name = last.endsWith('.git') ? last.slice(0, -'.git'.length) : last;
  return isValidName(name) ? name : undefined;
}

export interface ResolveOptions {
  /** The value of --app / -a, if given. */
  flag?: string;
  cwd: string;
  env: Env;
}

/** The app from the "scalarium" git remote of `cwd`, with the remote URL (credentials redacted). */
export async function appFromRemote(options: { cwd: string; env: Env }): Promise<{ app?: string; remote?: string }> {
  const url = await getRemoteUrl(options, REMOTE);
  if (url === undefined) return {};
  return { app: appFromGitUrl(url), remote: redactUrl(url) };
}

export async function resolveApp(options: ResolveOptions): Promise<string> {
  if (options.flag !== undefined) {
    if (!isValidName(options.flag)) throw new UsageError(`${JSON.stringify(options.flag)} is not a valid app name.`, APP_NAME_HINT);
    return options.flag;
  }
  const { app, remote } = await appFromRemote(options);
  if (app) return app;
  if (remote !== undefined) {
    throw new CliError(`The git remote "${REMOTE}" (${remote}) does not name an app.`,
      `Use --app NAME, or fix the remote: git remote set-url ${REMOTE} http://HOST:PORT/APP.git`);
  }
  throw new UsageError(`No app given, and no git remote "${REMOTE}" in ${options.cwd}.`,
    'Use --app NAME (or -a NAME), or run the command inside the app\'s git repository.');
}
