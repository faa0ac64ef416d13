// config, config:get, config:set, config:unset.
import { isValidConfigKey } from '../../server/core/names.ts';
import type { Command, Context } from '../command.ts';
import { listing, shellQuote } from '../output.ts';
import type { ConfigBody, Release } from '../types.ts';

const KEY_HINT = 'Config var names are letters, digits and underscores, not starting with a digit (e.g. DATABASE_URL).';

type ConfigVars = Record<string, string>;

interface ConfigChange {
  config: ConfigVars;
  release: Release | null;
  /** Nothing differed from the config vars as they were: no release was made. */
  unchanged?: boolean;
}

function sortedEntries(config: ConfigVars): [string, string][] {
  return Object.entries(config ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function checkKey(ctx: Context, key: string): void {
  if (!isValidConfigKey(key)) throw ctx.usage(`${JSON.stringify(key)} is not a valid config var name.`, KEY_HINT);
}

function doneText(app: string) {
  return (change: ConfigChange) =>
    change?.unchanged ? 'nothing to change (no new release)'
      : change?.release ? `done, v${change.release.version}` : `done (${app} has no release yet: applied at the first deploy)`;
}

const show: Command = {
  name: 'config',
  aliases: ['config:list'],
  summary: 'Show the app\'s config vars',
  app: true,
  json: true,
  options: {
    shell: { type: 'boolean', description: 'quote values for a shell or an .env file' },
  },
  description: 'Prints KEY=value lines sorted by name. With --shell, values that need it are single-quoted.',
  examples: ['scalarium config', 'scalarium config --shell > .env', 'scalarium config --json'],
  async run(ctx) {
    const config = await ctx.appGet<ConfigVars>('/config');
    if (ctx.json) return ctx.printJson(config);
    const entries = sortedEntries(config);
    if (entries.length === 0) {
      if (!ctx.flag('shell')) ctx.err(`${await ctx.app()} has no config vars.`);
      return;
    }
    const quote = ctx.flag('shell') ? shellQuote : (value: string) => value;
    ctx.out(entries.map(([key, value]) => `${key}=${quote(value)}`).join('\n'));
  },
};

const get: Command = {
  name: 'config:get',
  summary: 'Print the value of one config var',
  args: 'KEY',
  positionals: { min: 1, max: 1 },
  app: true,
  json: true,
  description: 'Prints the value alone, for scripts. Exits with 1 when the var is not set.',
  examples: ['scalarium config:get DATABASE_URL', 'psql "$(scalarium config:get DATABASE_URL)"'],
  async run(ctx) {
    const key = ctx.positionals[0];
    checkKey(ctx, key);
    const config = await ctx.appGet<ConfigVars>('/config');
    const value = Object.hasOwn(config ?? {}, key) ? config[key] : undefined;
    if (ctx.json) {
      ctx.printJson(value === undefined ? {} : { [key]: value });
      return value === undefined ? 1 : 0;
    }
    if (value === undefined) {
      ctx.err(`▸ ${key} is not set on ${await ctx.app()}.`);
      return 1;
    }
    ctx.out(value);
  },
};

const set: Command = {
  name: 'config:set',
  summary: 'Set config vars (makes a new release and restarts the app)',
  args: 'KEY=VALUE...',
  positionals: { min: 1, max: Infinity },
  app: true,
  json: true,
  description:
    'Everything after the first "=" is the value, so values may contain "=". The change makes a new\n' +
    'release and restarts the processes with zero downtime; before the first deploy it is only stored.',
  examples: ['scalarium config:set DATABASE_URL=postgres://db/shop?sslmode=require LOG_LEVEL=debug', 'scalarium config:set -a shop GREETING="hello world"'],
  async run(ctx) {
    const changes: ConfigVars = {};
    for (const arg of ctx.positionals) {
      const eq = arg.indexOf('=');
      if (eq < 0) throw ctx.usage(`Expected KEY=VALUE, got ${JSON.stringify(arg)}.`, 'To remove a var, use scalarium config:unset KEY.');
      const key = arg.slice(0, eq);
      checkKey(ctx, key);
      changes[key] = arg.slice(eq + 1);
    }
    const app = await ctx.app();
    const api = await ctx.api();
    const path = await ctx.appPath('/config');
    const result = await ctx.progress(`Setting config vars and restarting ${app}`, () => api.patch<ConfigChange>(path, changes satisfies ConfigBody), doneText(app));
    if (ctx.json) return ctx.printJson(result);
    ctx.out(sortedEntries(changes).map(([key, value]) => `${key}=${value}`).join('\n'));
  },
};

const unset: Command = {
  name: 'config:unset',
  aliases: ['config:remove'],
  summary: 'Remove config vars (makes a new release and restarts the app)',
  args: 'KEY...',
  positionals: { min: 1, max: Infinity },
  app: true,
  json: true,
  examples: ['scalarium config:unset LOG_LEVEL', 'scalarium config:unset A B --app shop'],
  async run(ctx) {
    const changes: Record<string, null> = {};
    for (const key of ctx.positionals) {
      checkKey(ctx, key);
      changes[key] = null;
    }
    const app = await ctx.app();
    const api = await ctx.api();
    const path = await ctx.appPath('/config');
    const result = await ctx.progress(`Unsetting ${listing(Object.keys(changes))} and restarting ${app}`,
      () => api.patch<ConfigChange>(path, changes satisfies ConfigBody), doneText(app));
    if (ctx.json) return ctx.printJson(result);
  },
};

export const commands: Command[] = [show, get, set, unset];
