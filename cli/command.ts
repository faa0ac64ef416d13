// What a command is (name, usage, options, examples, run) and the Context it runs with: parsed
// arguments, output, the API client and the app it acts on. Commands never touch process.*: all
// I/O goes through CliIO so tests can run the CLI in-process.
import { readFileSync } from 'node:fs';
import { ApiClient, normalizeServerUrl } from './api-client.ts';
import { resolveApp } from './app-resolver.ts';
import { loadSession, type Env, type Session } from './config-store.ts';
import { CliError, UsageError } from './errors.ts';
import { progress, type Output } from './output.ts';

export type { Output } from './output.ts';

export interface CliIO {
  stdout: Output;
  stderr: Output;
  env: Env;
  cwd: string;
  /** Only read by `login --token -` and `git-credential` (git's request). */
  stdin?: AsyncIterable<string | Uint8Array> & { isTTY?: boolean };
  /** Aborted on SIGINT: requests stop, `logs --tail` ends cleanly. */
  signal?: AbortSignal;
}

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Placeholder shown in help: `--num N`. */
  value?: string;
  description: string;
}

export interface Command {
  name: string;
  aliases?: readonly string[];
  /** Left out of the command list of `scalarium help` (it still has its own help). */
  hidden?: boolean;
  summary: string;
  /** Positional arguments as shown in the usage line, e.g. `KEY=VALUE...`. */
  args?: string;
  /** How many positionals the command takes. */
  positionals?: { min: number; max: number };
  description?: string;
  /** Takes --app / -a (else the git remote "scalarium"). */
  app?: boolean;
  /** Takes --json (print the raw API JSON). */
  json?: boolean;
  options?: Record<string, OptionSpec>;
  examples: readonly string[];
  run(ctx: Context): Promise<number | void>;
}

export const APP_OPTION: OptionSpec = { type: 'string', short: 'a', value: 'NAME', description: 'the app (default: from the git remote "scalarium")' };
export const JSON_OPTION: OptionSpec = { type: 'boolean', description: 'print the raw API JSON' };
export const HELP_OPTION: OptionSpec = { type: 'boolean', short: 'h', description: 'show this help' };

/** Every option a command accepts, including the shared ones, in help order. */
export function optionsOf(command: Command): Record<string, OptionSpec> {
  return {
    ...(command.app ? { app: APP_OPTION } : {}),
    ...command.options,
    ...(command.json ? { json: JSON_OPTION } : {}),
    help: HELP_OPTION,
  };
}

export function usageLine(command: Command): string {
  const parts = [`scalarium ${command.name}`];
  if (command.args) parts.push(command.args);
  if (command.app) parts.push('[--app NAME]');
  const others = Object.keys(command.options ?? {}).length + (command.json ? 1 : 0);
  if (others > 0) parts.push('[options]');
  return parts.join(' ');
}

let version: string | undefined;

export function cliVersion(): string {
  version ??= (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return version;
}

export type Values = Record<string, string | boolean | undefined>;

export class Context {
  private sessionPromise: Promise<Session> | undefined;
  private client: ApiClient | undefined;
  private appName: string | undefined;

  constructor(
    readonly io: CliIO,
    readonly command: Command,
    readonly positionals: readonly string[],
    readonly values: Values,
  ) {}

  get env(): Env {
    return this.io.env;
  }

  get cwd(): string {
    return this.io.cwd;
  }

  get signal(): AbortSignal | undefined {
    return this.io.signal;
  }

  /** True with --json: stdout carries nothing but the API's JSON. */
  get json(): boolean {
    return this.values.json === true;
  }

  string(name: string): string | undefined {
    const value = this.values[name];
    return typeof value === 'string' ? value : undefined;
  }

  flag(name: string): boolean {
    return this.values[name] === true;
  }

  /** Writes a line (or lines) to stdout. */
  out(text: string): void {
    this.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Writes a line to stderr. */
  err(text: string): void {
    this.io.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Human messages that are not the command's result: stdout normally, stderr with --json. */
  note(text: string): void {
    if (this.json) this.err(text);
    else this.out(text);
  }

  printJson(data: unknown): void {
    this.out(JSON.stringify(data ?? null, null, 2));
  }

  usage(message: string, hint?: string): UsageError {
    return new UsageError(message, hint, this.command.name);
  }

  progress<T>(label: string, task: () => Promise<T>, done?: (result: T) => string): Promise<T> {
    return progress(this.io.stderr, label, task, done);
  }

  session(): Promise<Session> {
    this.sessionPromise ??= loadSession(this.env);
    return this.sessionPromise;
  }

  /** The API client for the logged-in server; a clear error when not logged in. */
  async api(): Promise<ApiClient> {
    if (this.client) return this.client;
    const session = await this.session();
    const login = 'Run `scalarium login --server URL --token TOKEN`, or set SCALARIUM_SERVER and SCALARIUM_TOKEN.';
    if (!session.server) throw new CliError('Not logged in: no Scalarium server is configured.', login);
    let server: string;
    try {
      server = normalizeServerUrl(session.server);
    } catch (error) {
      const where = session.serverFrom === 'env' ? 'SCALARIUM_SERVER' : `the server in ${session.path}`;
      throw new CliError(`${where} is not a valid server URL: ${(error as Error).message}`, login);
    }
    if (!session.token) throw new CliError(`Not logged in to ${server}: no API token.`, login);
    this.client = new ApiClient({ server, token: session.token, signal: this.signal, userAgent: `scalarium-cli/${cliVersion()}` });
    return this.client;
  }

  /** The app this command acts on: --app / -a, else the git remote "scalarium". */
  async app(): Promise<string> {
    this.appName ??= await resolveApp({ flag: this.string('app'), cwd: this.cwd, env: this.env });
    return this.appName;
  }

  /** GET `/api/apps/<app>` + rest, resolving the app before looking at the login. */
  async appGet<T>(rest = ''): Promise<T> {
    const path = await this.appPath(rest);
    return (await this.api()).get<T>(path);
  }

  /** `/api/apps/<app>` + rest, with the name escaped. */
  async appPath(rest = ''): Promise<string> {
    return `/api/apps/${encodeURIComponent(await this.app())}${rest}`;
  }
}
