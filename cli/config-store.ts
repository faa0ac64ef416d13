// Where the CLI keeps its login: `{ server, token }` as JSON in
// `$XDG_CONFIG_HOME/scalarium/config.json`, else `~/.config/scalarium/config.json`.
// The token is a secret: the directory is 0700 and the file 0600, written atomically (temp file +
// rename) so a crash never leaves half a file. SCALARIUM_SERVER / SCALARIUM_TOKEN override it.
// Everything takes the environment as a parameter (never process.env) so tests can point it at a
// temporary directory.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { CliError } from './errors.ts';

export type Env = Record<string, string | undefined>;

export interface StoredConfig {
  server?: string;
  token?: string;
}

export interface Session {
  server: string | undefined;
  token: string | undefined;
  /** Where each value came from, for messages like "SCALARIUM_TOKEN overrides your login". */
  serverFrom: 'env' | 'file' | undefined;
  tokenFrom: 'env' | 'file' | undefined;
  path: string;
}

export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;

export function configPath(env: Env): string {
  const xdg = env.XDG_CONFIG_HOME;
  // The XDG spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const base = xdg && isAbsolute(xdg) ? xdg : join(env.HOME || homedir(), '.config');
  return join(base, 'scalarium', 'config.json');
}

export async function readConfig(env: Env): Promise<StoredConfig> {
  const path = configPath(env);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CliError(`Cannot read ${path}: ${(error as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new CliError(`${path} is not valid JSON.`, 'Log in again with `scalarium login --server URL --token TOKEN` (it rewrites the file).');
  }
  const stored: StoredConfig = {};
  if (data && typeof data === 'object') {
    const { server, token } = data as Record<string, unknown>;
    if (typeof server === 'string' && server) stored.server = server;
    if (typeof token === 'string' && token) stored.token = token;
  }
  return stored;
}

/** Replaces the stored config; returns the file path. */
export async function writeConfig(env: Env, config: StoredConfig): Promise<string> {
  const path = configPath(env);
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: DIR_MODE });
  await chmod(dir, DIR_MODE); // mkdir's mode is filtered by the umask and ignored for an existing dir
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(temp, 'wx', FILE_MODE);
  try {
    await handle.writeFile(`${JSON.stringify(config, null, 2)}\n`);
    await handle.chmod(FILE_MODE);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  return path;
}

/** Forgets the token but keeps the server, so the next `login` only needs `--token`. */
export async function clearToken(env: Env): Promise<StoredConfig> {
  const stored = await readConfig(env);
  if (stored.token === undefined) return stored;
  const { token: _dropped, ...rest } = stored;
  if (rest.server === undefined) await rm(configPath(env), { force: true });
  else await writeConfig(env, rest);
  return stored;
}

/** The stored login with SCALARIUM_SERVER / SCALARIUM_TOKEN applied on top. */
export async function loadSession(env: Env): Promise<Session> {
  const stored = await readConfig(env);
  const envServer = env.SCALARIUM_SERVER || undefined;
  const envToken = env.SCALARIUM_TOKEN || undefined;
  return {
    server: envServer ?? stored.server,
    token: envToken ?? stored.token,
    serverFrom: envServer ? 'env' : stored.server ? 'file' : undefined,
    tokenFrom: envToken ? 'env' : stored.token ? 'file' : undefined,
    path: configPath(env),
  };
}
