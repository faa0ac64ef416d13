// `scalarium`, the command-line client of the Scalarium REST API (docs/cli.md, docs/api.md).
//
// `run(argv, io)` is the whole CLI: it parses, dispatches, prints errors and returns the exit code
// (0 ok, 1 API or user error, 2 usage error). It only uses `io`, never process.*, so tests run it
// in-process. When this file is the program's entry (bin/scalarium.js, or `tsx cli/main.ts`),
// `main()` calls run() with the real process values.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isValidName } from '../server/core/names.ts';
import { isAbort } from './api-client.ts';
import { APP_NAME_HINT } from './app-resolver.ts';
import { cliVersion, Context, optionsOf, usageLine, type CliIO, type Command } from './command.ts';
import { commands as accessCommands } from './commands/access.ts';
import { commands as appsCommands } from './commands/apps.ts';
import { commands as auditCommands } from './commands/audit.ts';
import { commands as authCommands } from './commands/auth.ts';
import { commands as clustersCommands } from './commands/clusters.ts';
import { commands as configCommands } from './commands/config.ts';
import { commands as eventsCommands } from './commands/events.ts';
import { commands as gitCommands } from './commands/git.ts';
import { commands as keysCommands } from './commands/keys.ts';
import { commands as logsCommands } from './commands/logs.ts';
import { commands as psCommands } from './commands/ps.ts';
import { commands as releasesCommands } from './commands/releases.ts';
import { commands as deployCommands } from './commands/deploy.ts';
import { commands as buildsCommands } from './commands/builds.ts';
import { commands as buildCacheCommands } from './commands/build-cache.ts';
import { commands as tokensCommands } from './commands/tokens.ts';
import { commands as usersCommands } from './commands/users.ts';
import { pluginCommandGroups } from '../plugins/builtin-cli.ts';
import { CliError, UsageError } from './errors.ts';

export type { CliIO, Command } from './command.ts';
export { ApiError } from './api-client.ts';
export { CliError, UsageError } from './errors.ts';

const helpCommand: Command = {
  name: 'help',
  summary: 'Show help for all commands or one',
  args: '[COMMAND]',
  positionals: { min: 0, max: 1 },
  examples: ['scalarium help', 'scalarium help config:set'],
  async run(ctx) {
    const topic = ctx.positionals[0];
    if (topic === undefined) {
      ctx.out(generalHelp());
      return;
    }
    ctx.out(commandHelp(findCommand(topic) ?? unknownCommand(topic)));
  },
};

const versionCommand: Command = {
  name: 'version',
  summary: 'Show the CLI version (also --version)',
  examples: ['scalarium version', 'scalarium --version'],
  async run(ctx) {
    ctx.out(`scalarium ${cliVersion()}`);
  },
};

export const groups: readonly { title: string; commands: readonly Command[] }[] = [
  { title: 'Log in', commands: authCommands },
  { title: 'Apps', commands: appsCommands },
  { title: 'Git', commands: gitCommands },
  { title: 'Config vars', commands: configCommands },
  { title: 'Releases', commands: releasesCommands },
  { title: 'Deploy', commands: deployCommands },
  { title: 'Builds', commands: [...buildsCommands, ...buildCacheCommands] },
  { title: 'Processes', commands: psCommands },
  { title: 'Logs', commands: logsCommands },
  { title: 'Clusters', commands: clustersCommands },
  { title: 'Lifecycle events', commands: eventsCommands },
  { title: 'Users (admin)', commands: usersCommands },
  { title: 'Access', commands: accessCommands },
  { title: 'API tokens', commands: tokensCommands },
  { title: 'SSH keys', commands: keysCommands },
  { title: 'Audit log (admin)', commands: auditCommands },
  ...pluginCommandGroups,
  { title: 'This CLI', commands: [helpCommand, versionCommand] },
];

export const allCommands: readonly Command[] = groups.flatMap((group) => group.commands);

const byName = new Map<string, Command>();
for (const command of allCommands) {
  for (const name of [command.name, ...(command.aliases ?? [])]) {
    if (byName.has(name)) throw new Error(`CLI command name ${name} is defined twice`);
    byName.set(name, command);
  }
}

export function findCommand(name: string): Command | undefined {
  return byName.get(name);
}

function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/** The known command closest to a mistyped one, if any is close enough. */
export function suggestCommand(input: string): string | undefined {
  const typed = input.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const name of byName.keys()) {
    const distance = levenshtein(typed, name);
    if (!best || distance < best.distance) best = { name, distance };
  }
  if (best && best.distance <= Math.max(2, Math.floor(typed.length / 3))) return findCommand(best.name)?.name ?? best.name;
  // "releases:show" → "releases", "apps:foo" → "apps": the topic before the colon
  const topic = typed.split(':')[0];
  if (topic !== typed && byName.has(topic)) return topic;
  return undefined;
}

function unknownCommand(name: string): never {
  const suggestion = suggestCommand(name);
  throw new UsageError(
    `${JSON.stringify(name)} is not a scalarium command.`,
    `${suggestion ? `Did you mean \`scalarium ${suggestion}\`? ` : ''}Run \`scalarium help\` to list commands.`,
  );
}

export function generalHelp(): string {
  const listed = (commands: readonly Command[]) => commands.filter((c) => !c.hidden);
  const width = Math.max(...listed(allCommands).map((c) => c.name.length)) + 2;
  const lines = [
    `scalarium ${cliVersion()} — the command line of Scalarium, a self-hosted git-push PaaS`,
    '',
    'Usage: scalarium COMMAND [ARGS] [OPTIONS]',
  ];
  for (const group of groups) {
    if (listed(group.commands).length === 0) continue;
    lines.push('', `${group.title}:`);
    for (const command of listed(group.commands)) {
      const aliases = command.aliases?.length ? ` (alias: ${command.aliases.join(', ')})` : '';
      lines.push(`  ${command.name.padEnd(width)}${command.summary}${aliases}`);
    }
  }
  lines.push(
    '',
    'Commands that act on an app take --app NAME (-a NAME); without it the app comes from the git',
    'remote "scalarium" of the repository you are in. Read commands take --json for the raw API JSON.',
    'SCALARIUM_SERVER and SCALARIUM_TOKEN override the saved login. `git push scalarium` gets the token',
    'from the CLI (`scalarium git-credential`), so it is never written into .git/config.',
    '',
    'Run `scalarium help COMMAND` or `scalarium COMMAND --help` for details.',
  );
  return lines.join('\n');
}

export function commandHelp(command: Command): string {
  const lines = [`Usage: ${usageLine(command)}`, '', command.summary + '.'];
  if (command.description) lines.push('', command.description);
  if (command.aliases?.length) lines.push('', `Aliases: ${command.aliases.join(', ')}`);
  const options = Object.entries(optionsOf(command)).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.value ? ` ${spec.value}` : ''}`;
    return [flag, spec.description] as const;
  });
  const width = Math.max(...options.map(([flag]) => flag.length)) + 2;
  lines.push('', 'Options:', ...options.map(([flag, text]) => `  ${flag.padEnd(width)}${text}`));
  if (command.examples.length) lines.push('', 'Examples:', ...command.examples.map((e) => `  ${e}`));
  return lines.join('\n');
}

/** `-h`/`--help` anywhere before a `--`. */
function wantsHelp(args: readonly string[]): boolean {
  for (const arg of args) {
    if (arg === '--') return false;
    if (arg === '-h' || arg === '--help') return true;
  }
  return false;
}

/** "-n" → "num" (the message of the parser names the option as it was typed). */
function longName(options: Record<string, { short?: string }>, typed: string): string {
  return Object.entries(options).find(([name, spec]) => `-${spec.short}` === typed || `--${name}` === typed)?.[0] ?? typed.replace(/^-+/, '');
}

function parse(command: Command, args: string[]): { positionals: string[]; values: Record<string, string | boolean | undefined> } {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, spec] of Object.entries(optionsOf(command))) {
    options[name] = spec.short ? { type: spec.type, short: spec.short } : { type: spec.type };
  }
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    const e = error as { code?: string; message: string };
    if (!e.code?.startsWith('ERR_PARSE_ARGS')) throw error;
    const option = /'([^']+)'/.exec(e.message)?.[1];
    const message =
      e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option
        ? `Unknown option ${option} for \`scalarium ${command.name}\`.`
        : e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option
          ? /argument is ambiguous/.test(e.message)
            // "-n -1": a value that starts with a dash looks like another option to the parser.
            ? `Option ${option} needs a value; one that starts with "-" must be given as --${longName(options, option)}=VALUE.`
            : `Option ${option.replace(/ <value>$/, '')} ${/argument missing/.test(e.message) ? 'needs a value' : 'does not take a value'}.`
          : e.message;
    throw new UsageError(message, undefined, command.name);
  }
  const { min = 0, max = 0 } = command.positionals ?? {};
  const positionals = parsed.positionals;
  if (positionals.length < min) throw new UsageError(`Missing ${command.args ?? 'arguments'}.`, undefined, command.name);
  if (positionals.length > max) {
    throw new UsageError(`Unexpected argument ${JSON.stringify(positionals[max])}.`, undefined, command.name);
  }
  return { positionals, values: parsed.values as Record<string, string | boolean | undefined> };
}

function printError(io: CliIO, error: unknown): number {
  const write = (line: string) => io.stderr.write(`${line}\n`);
  if (error instanceof CliError) {
    write(`▸ ${error.message}`);
    if (error.hint) write(`  ${error.hint}`);
    if (error instanceof UsageError && error.command) {
      const command = findCommand(error.command);
      if (command) write(`  Usage: ${usageLine(command)}  (see \`scalarium help ${command.name}\`)`);
    }
    return error.exitCode;
  }
  if (isAbort(error)) {
    write('▸ Interrupted.');
    write('  A request already sent may still complete on the server.');
    return 130;
  }
  write(`▸ Unexpected error: ${error instanceof Error ? error.message : String(error)}`);
  if (io.env.SCALARIUM_DEBUG && error instanceof Error && error.stack) write(error.stack);
  else write('  This is a bug in the scalarium CLI. Run with SCALARIUM_DEBUG=1 to see where it happened.');
  return 1;
}

/** Runs one command line (without the program name) and returns its exit code. */
export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const args = [...argv];
  try {
    const first = args[0];
    if (first === undefined || first === '--help' || first === '-h') {
      io.stdout.write(`${generalHelp()}\n`);
      return 0;
    }
    if (first === '--version' || first === '-v' || first === '-V') {
      io.stdout.write(`scalarium ${cliVersion()}\n`);
      return 0;
    }
    if (first.startsWith('-')) {
      throw new UsageError(`Expected a command before ${first}.`, 'Options go after the command, e.g. scalarium config --app shop.');
    }
    const command = findCommand(first) ?? unknownCommand(first);
    const rest = args.slice(1);
    if (wantsHelp(rest)) {
      io.stdout.write(`${commandHelp(command)}\n`);
      return 0;
    }
    const { positionals, values } = parse(command, rest);
    const app = values.app;
    if (command.app && typeof app === 'string' && !isValidName(app)) {
      throw new UsageError(`${JSON.stringify(app)} is not a valid app name.`, APP_NAME_HINT, command.name);
    }
    const code = await command.run(new Context(io, command, positionals, values));
    return typeof code === 'number' ? code : 0;
  } catch (error) {
    return printError(io, error);
  }
}

/** The real program: process arguments and streams, Ctrl-C, broken pipes. */
export async function main(): Promise<void> {
  const controller = new AbortController();
  const onSigint = () => {
    controller.abort();
    process.once('SIGINT', () => process.exit(130)); // a second Ctrl-C does not wait
  };
  process.once('SIGINT', onSigint);
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    controller.abort(); // `scalarium logs -t | head`: the reader went away
    process.exit(0);
  });
  const io: CliIO = {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    get stdin() {
      return process.stdin; // touched only by `login --token -` and `git-credential`
    },
    signal: controller.signal,
  };
  process.exitCode = await run(process.argv.slice(2), io);
  process.removeListener('SIGINT', onSigint);
}

function isEntry(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    const real = realpathSync(entry);
    return [fileURLToPath(import.meta.url), fileURLToPath(new URL('../bin/scalarium.js', import.meta.url))]
      .some((candidate) => realpathSync(candidate) === real);
  } catch {
    return false;
  }
}

if (isEntry()) await main();
