// builds, builds:info: the app's builds (GET /api/apps/:app/builds) and one build's log.
import type { Command } from '../command.ts';
import { CliError } from '../errors.ts';
import { fields, formatTime, table } from '../output.ts';

interface Build {
  id: number;
  commit: string;
  status: string;
  buildpack: string | null;
  slug: string | null;
  timings: Record<string, number>;
  createdBy: string;
  startedAt: string;
  finishedAt: string | null;
}

/** A commit id shortened; an archive's "archive:…" id as it is. */
const source = (commit: string) => (/^[0-9a-f]{40}$/.test(commit) ? commit.slice(0, 7) : commit);
const took = (b: Build) => (b.finishedAt ? `${((Date.parse(b.finishedAt) - Date.parse(b.startedAt)) / 1000).toFixed(1)} s` : '-');

const list: Command = {
  name: 'builds',
  summary: 'List the app\'s builds, newest first',
  app: true,
  json: true,
  examples: ['scalarium builds', 'scalarium builds --app shop --json'],
  async run(ctx) {
    const builds = await ctx.appGet<Build[]>('/builds');
    if (ctx.json) return ctx.printJson(builds);
    if (!builds.length) return ctx.out(`${await ctx.app()} has no builds yet. Deploy with: git push scalarium main`);
    ctx.out(table(['ID', 'STATUS', 'SOURCE', 'BUILDPACK', 'BY', 'STARTED', 'TOOK'], builds.map((b) => [
      String(b.id), b.status, source(b.commit), b.buildpack ?? '-', b.createdBy, formatTime(b.startedAt), took(b),
    ])));
  },
};

const info: Command = {
  name: 'builds:info',
  summary: 'Show one build and its output (default: the latest)',
  args: '[ID]',
  positionals: { min: 0, max: 1 },
  app: true,
  json: true,
  examples: ['scalarium builds:info', 'scalarium builds:info 12 --app shop'],
  async run(ctx) {
    const wanted = ctx.positionals[0];
    if (wanted !== undefined && !/^\d{1,9}$/.test(wanted)) throw ctx.usage(`${JSON.stringify(wanted)} is not a build id.`, '`scalarium builds` lists them.');
    const builds = await ctx.appGet<Build[]>('/builds');
    const build = wanted === undefined ? builds[0] : builds.find((b) => b.id === Number(wanted));
    const app = await ctx.app();
    if (!build) throw new CliError(wanted === undefined ? `${app} has no builds yet.` : `No build ${wanted} of ${app}.`, '`scalarium builds` lists them.');
    const api = await ctx.api();
    const log = await api.text(await ctx.appPath(`/builds/${build.id}/log`));
    if (ctx.json) return ctx.printJson({ ...build, log });
    ctx.out(fields([
      ['Build', String(build.id)], ['Status', build.status], ['Source', build.commit], ['Buildpack', build.buildpack ?? '-'],
      ['Slug', build.slug ?? '-'], ['By', build.createdBy], ['Started', formatTime(build.startedAt)], ['Took', took(build)],
      ['Timings', Object.entries(build.timings ?? {}).map(([phase, ms]) => `${phase} ${ms} ms`).join(', ') || '-'],
    ]));
    ctx.out('');
    ctx.out(log.replace(/\n$/, '') || '(no output kept)');
  },
};

export const commands: Command[] = [list, info];
