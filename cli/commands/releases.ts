// releases, releases:info, rollback.
import type { Command, Context } from '../command.ts';
import { fields, formatTime, table } from '../output.ts';
import type { Release, RollbackBody } from '../types.ts';

/** "v3" or "3" → 3; a usage error otherwise. */
export function parseVersion(ctx: Context, value: string): number {
  const match = /^v?(\d{1,9})$/i.exec(value);
  const version = match ? Number(match[1]) : NaN;
  if (!(version >= 1)) throw ctx.usage(`${JSON.stringify(value)} is not a release version.`, 'Use a number like 3 or v3; `scalarium releases` lists them.');
  return version;
}

function shortCommit(commit: string | null | undefined): string {
  return commit ? commit.slice(0, 7) : '-';
}

const list: Command = {
  name: 'releases',
  aliases: ['releases:list'],
  summary: 'List the app\'s releases, newest first',
  app: true,
  json: true,
  examples: ['scalarium releases', 'scalarium releases --app shop --json'],
  async run(ctx) {
    const releases = await ctx.appGet<Release[]>('/releases');
    if (ctx.json) return ctx.printJson(releases);
    if (releases.length === 0) {
      ctx.out(`${await ctx.app()} has no releases yet. Deploy with: git push scalarium main`);
      return;
    }
    const rows = releases.map((r) => [
      r.current ? '*' : '',
      `v${r.version}`,
      r.description ?? '',
      shortCommit(r.commit),
      r.createdBy ?? '',
      formatTime(r.createdAt),
    ]);
    ctx.out(table(['', 'VERSION', 'DESCRIPTION', 'COMMIT', 'BY', 'CREATED'], rows));
  },
};

const info: Command = {
  name: 'releases:info',
  summary: 'Show one release',
  args: 'VERSION',
  positionals: { min: 1, max: 1 },
  app: true,
  json: true,
  examples: ['scalarium releases:info v3', 'scalarium releases:info 3 --json'],
  async run(ctx) {
    const version = parseVersion(ctx, ctx.positionals[0]);
    const release = await ctx.appGet<Release>(`/releases/${version}`);
    if (ctx.json) return ctx.printJson(release);
    const timings = Object.entries(release.timings ?? {}).map(([step, ms]) => `${step} ${ms} ms`).join(', ');
    ctx.out(`=== ${await ctx.app()} v${release.version}${release.current ? ' (current)' : ''}`);
    ctx.out(fields([
      ['Description', release.description ?? ''],
      ['Commit', release.commit ?? '-'],
      ['Slug', release.slug ?? '-'],
      ['By', release.createdBy ?? ''],
      ['Created', formatTime(release.createdAt)],
      ['Timings', timings || '-'],
    ]));
    const types = Object.entries(release.processTypes ?? {}).sort(([a], [b]) => a.localeCompare(b));
    if (types.length > 0) {
      ctx.out('');
      ctx.out('=== Process types');
      ctx.out(table(['TYPE', 'COMMAND'], types));
    }
  },
};

const rollback: Command = {
  name: 'rollback',
  aliases: ['releases:rollback'],
  summary: 'Roll back to an earlier release (default: the one before the current)',
  args: '[VERSION]',
  positionals: { min: 0, max: 1 },
  app: true,
  json: true,
  description: 'A rollback is a new release made of an old release\'s slug and config vars.',
  examples: ['scalarium rollback', 'scalarium rollback v2 --app shop'],
  async run(ctx) {
    const version = ctx.positionals[0] === undefined ? undefined : parseVersion(ctx, ctx.positionals[0]);
    const app = await ctx.app();
    const api = await ctx.api();
    const path = await ctx.appPath('/rollback');
    const release = await ctx.progress(`Rolling back ${app}${version ? ` to v${version}` : ''}`,
      () => api.post<Release>(path, (version ? { version } : {}) satisfies RollbackBody),
      (r) => `done, v${r.version}`);
    if (ctx.json) return ctx.printJson(release);
    if (release.description) ctx.out(`v${release.version}: ${release.description}`);
  },
};

export const commands: Command[] = [list, info, rollback];
