// ps, ps:scale, ps:restart.
import { isValidProcessType } from '../../server/core/names.ts';
import type { Command } from '../command.ts';
import { age, formatFormation, plural, table } from '../output.ts';
import type { App, FormationBody, Process, RestartBody } from '../types.ts';

export const PROCESS_HEADERS = ['NAME', 'STATE', 'RELEASE', 'INSTANCE', 'PORT', 'RESTARTS', 'UP'];

/** A cell for a value the API may give as a scalar or an object with a name/id/version. */
function cell(value: unknown, prefix = ''): string {
  if (value === null || value === undefined || value === '') return '-';
  if (typeof value === 'number') return `${prefix}${value}`;
  if (typeof value === 'string') return value;
  if (typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.version === 'number') return `v${o.version}`;
    if (typeof o.name === 'string') return o.name;
    if (typeof o.id === 'string' || typeof o.id === 'number') return String(o.id);
  }
  return String(value);
}

/** Natural order: web.2 before web.10. */
function byName(a: Process, b: Process): number {
  return a.name.localeCompare(b.name, 'en', { numeric: true });
}

export function processRows(processes: readonly Process[], now: number): string[][] {
  return [...processes].sort(byName).map((p) => [
    p.name,
    p.state,
    cell(p.release, 'v'),
    cell(p.instance),
    cell(p.port),
    String(p.restarts ?? 0),
    p.startedAt && p.state !== 'stopped' && p.state !== 'crashed' ? age(p.startedAt, now) : '-',
  ]);
}

const ps: Command = {
  name: 'ps',
  aliases: ['ps:list'],
  summary: 'List the app\'s processes',
  app: true,
  json: true,
  examples: ['scalarium ps', 'scalarium ps --app shop --json'],
  async run(ctx) {
    const processes = await ctx.appGet<Process[]>('/ps');
    if (ctx.json) return ctx.printJson(processes);
    if (processes.length === 0) {
      ctx.out(`No processes are running for ${await ctx.app()}.`);
      return;
    }
    ctx.out(table(PROCESS_HEADERS, processRows(processes, Date.now())));
  },
};

/** "web=3" → ["web", 3]; usage errors for anything else. */
export function parseScaleArg(arg: string): [string, number] {
  const match = /^([^=]+)=(\d{1,6})$/.exec(arg);
  if (!match) throw new Error(`Expected TYPE=COUNT, got ${JSON.stringify(arg)}.`);
  const [, type, count] = match;
  if (!isValidProcessType(type)) throw new Error(`${JSON.stringify(type)} is not a valid process type.`);
  return [type, Number(count)];
}

const scale: Command = {
  name: 'ps:scale',
  aliases: ['scale'],
  summary: 'Set how many processes of each type run (no arguments: show the formation)',
  args: '[TYPE=COUNT...]',
  positionals: { min: 0, max: Infinity },
  app: true,
  json: true,
  description: 'Waits until the new processes run (and passed their readiness check) before it answers.',
  examples: ['scalarium ps:scale web=3 worker=1', 'scalarium ps:scale worker=0 --app shop', 'scalarium ps:scale'],
  async run(ctx) {
    if (ctx.positionals.length === 0) {
      const app = await ctx.appGet<App>();
      if (ctx.json) return ctx.printJson({ formation: app.formation });
      ctx.out(formatFormation(app.formation));
      return;
    }
    const formation: Record<string, number> = {};
    for (const arg of ctx.positionals) {
      try {
        const [type, count] = parseScaleArg(arg);
        formation[type] = count;
      } catch (error) {
        throw ctx.usage((error as Error).message, 'Use TYPE=COUNT, e.g. web=3 worker=0.');
      }
    }
    const name = await ctx.app();
    const api = await ctx.api();
    const path = await ctx.appPath('/formation');
    const result = await ctx.progress(`Scaling ${name} to ${formatFormation(formation)}`,
      () => api.patch<{ formation: Record<string, number> }>(path, formation satisfies FormationBody),
      (r) => `done, now running ${formatFormation(r?.formation)}`);
    if (ctx.json) ctx.printJson(result);
  },
};

const restart: Command = {
  name: 'ps:restart',
  aliases: ['restart'],
  summary: 'Restart the app\'s processes, all or one type',
  args: '[TYPE]',
  positionals: { min: 0, max: 1 },
  app: true,
  json: true,
  examples: ['scalarium ps:restart', 'scalarium ps:restart web'],
  async run(ctx) {
    const type = ctx.positionals[0];
    if (type !== undefined && !isValidProcessType(type)) throw ctx.usage(`${JSON.stringify(type)} is not a valid process type.`);
    const name = await ctx.app();
    const api = await ctx.api();
    const path = await ctx.appPath('/restart');
    const result = await ctx.progress(`Restarting ${type ? `${type} processes` : 'all processes'} of ${name}`,
      () => api.post<{ restarted: number }>(path, (type ? { type } : {}) satisfies RestartBody),
      (r) => `done, ${plural(r?.restarted ?? 0, 'process', 'processes')} restarted`);
    if (ctx.json) ctx.printJson(result);
  },
};

export const commands: Command[] = [ps, scale, restart];
