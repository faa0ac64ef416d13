// deploy: one-click deployment from the command line — the latest or a chosen commit of the app's
// repository, a chosen release, an archive URL, or a local tarball uploaded to the server.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command, Context } from '../command.ts';
import { ApiError, isAbort, type RequestOptions } from '../api-client.ts';
import { CliError } from '../errors.ts';
import { formatTime, table } from '../output.ts';
import type { DeployBody, Release } from '../types.ts';
import { parseVersion } from './releases.ts';

const deploy: Command = {
  name: 'deploy',
  summary: 'Deploy a commit, a release, an archive URL or a local tarball',
  app: true,
  json: true,
  options: {
    commit: { type: 'string', value: 'SHA', description: 'a commit or branch of the app\'s repository (default: the latest of its deploy branch)' },
    release: { type: 'string', value: 'vN', description: 'deploy an earlier release again' },
    archive: { type: 'string', value: 'URL', description: 'an http(s) URL of a .tar or .tar.gz of the source' },
    file: { type: 'string', value: 'PATH', description: 'a local .tar or .tar.gz of the source, uploaded' },
  },
  description: 'Builds (unless it is a release) and rolls out like a push; what serves changes only if it all succeeds.',
  examples: [
    'scalarium deploy',
    'scalarium deploy --commit 1a2b3c4',
    'scalarium deploy --release v3',
    'scalarium deploy --app shop --archive https://example.org/shop.tar.gz',
    'scalarium deploy --file ./build/shop.tgz',
  ],
  async run(ctx) {
    const options = { commit: ctx.string('commit'), release: ctx.string('release'), archive: ctx.string('archive'), file: ctx.string('file') };
    const given = Object.entries(options).filter(([, v]) => v !== undefined).map(([k]) => k);
    if (given.length > 1) throw ctx.usage(`Give only one of --${given.join(', --')}.`);
    const app = await ctx.app();
    const api = await ctx.api();
    const target = await ctx.appPath('/deploy');
    let what: string;
    let request: Pick<RequestOptions, 'body' | 'raw'>;
    if (options.file !== undefined) {
      const file = path.resolve(ctx.cwd, options.file);
      const data = await readFile(file).catch((error: Error) => {
        throw ctx.usage(`Cannot read ${file}: ${error.message}`);
      });
      what = `${path.basename(file)} (${(data.length / 1024 / 1024).toFixed(1)}M)`;
      request = { raw: { data, type: 'application/gzip' } };
    } else if (options.archive !== undefined) {
      if (!/^https?:\/\//.test(options.archive)) throw ctx.usage('--archive must be an http(s) URL.');
      what = options.archive;
      request = { body: { archive: options.archive } satisfies DeployBody };
    } else if (options.release !== undefined) {
      const version = parseVersion(ctx, options.release);
      what = `v${version}`;
      request = { body: { release: version } satisfies DeployBody };
    } else {
      const commit = options.commit;
      if (commit !== undefined && !/^[A-Za-z0-9_][A-Za-z0-9._/-]{0,99}$/.test(commit)) {
        throw ctx.usage(`${JSON.stringify(commit)} is not a commit id or a branch name.`, 'Use 7-40 hexadecimal characters or a branch such as main.');
      }
      what = commit ?? 'the latest commit';
      request = { body: (commit === undefined ? {} : { commit }) satisfies DeployBody };
    }
    ctx.err(`Deploying ${what} to ${app}...`);
    const release = await printDeploy(ctx, app, api.events('POST', target, request), { upload: options.file !== undefined });
    if (ctx.json) return ctx.printJson(release);
    ctx.out(`v${release.version}: ${release.description}`);
  },
};

/**
 * Prints a deploy's events as they come (its build and rollout output) and returns its release.
 * Ctrl-C stops following, not the deploy: it says how to follow it again.
 */
async function printDeploy(ctx: Context, app: string, events: AsyncIterable<Record<string, unknown>>, options: { upload?: boolean } = {}): Promise<Release> {
  let id: string | undefined;
  try {
    for await (const event of events) {
      if (event.deploy && typeof event.deploy === 'object') id = String((event.deploy as { id?: unknown }).id ?? '') || undefined;
      else if (typeof event.line === 'string') ctx.note(event.line);
      else if (event.release && typeof event.release === 'object') return event.release as Release;
      else if (event.error && typeof event.error === 'object') {
        const e = event.error as { status?: unknown; code?: unknown; message?: unknown; hint?: unknown };
        throw new ApiError(typeof e.status === 'number' ? e.status : 500, String(e.code ?? 'deploy_failed'), String(e.message ?? 'The deploy failed.'), typeof e.hint === 'string' ? e.hint : undefined);
      }
    }
  } catch (error) {
    if (!(isAbort(error) || ctx.signal?.aborted) || !id) throw error;
    const follow = `scalarium deploy:follow ${id} --app ${app}`;
    throw new InterruptedError(
      options.upload ? 'Interrupted. If the upload had finished, the deploy goes on on the server.' : 'Interrupted. The deploy goes on on the server.',
      `Follow it with \`${follow}\`; \`scalarium releases --app ${app}\` shows the release it makes.`,
    );
  }
  throw new CliError('The server ended the deploy\'s progress without saying how it ended.', `\`scalarium deploys --app ${app}\` shows what happened.`);
}

/** Ctrl-C while following: exit code 130, like the shell's. */
class InterruptedError extends CliError {
  override readonly exitCode: number = 130;
}

interface DeploySummary {
  id: string;
  what: string;
  by: string;
  state: string;
  version: number | null;
  startedAt: string;
  endedAt: string | null;
  error: { message: string } | null;
}

const deploys: Command = {
  name: 'deploys',
  summary: 'List the deploys this server ran lately (running ones can be followed)',
  app: true,
  json: true,
  examples: ['scalarium deploys', 'scalarium deploys --app shop --json'],
  async run(ctx) {
    const list = await ctx.appGet<DeploySummary[]>('/deploys');
    if (ctx.json) return ctx.printJson(list);
    if (!list.length) return ctx.out(`No deploys of ${await ctx.app()} in the last 30 minutes.`);
    ctx.out(table(['ID', 'STATE', 'RELEASE', 'WHAT', 'BY', 'STARTED'], list.map((d) => [
      d.id, d.state, d.version ? `v${d.version}` : '-', d.what, d.by, formatTime(d.startedAt),
    ])));
  },
};

const follow: Command = {
  name: 'deploy:follow',
  summary: 'Follow a deploy\'s output from its first line (default: the one running now)',
  args: '[ID]',
  positionals: { min: 0, max: 1 },
  app: true,
  json: true,
  examples: ['scalarium deploy:follow', 'scalarium deploy:follow 3f2a9c1b7d4e --app shop'],
  async run(ctx) {
    const app = await ctx.app();
    let id = ctx.positionals[0];
    if (id !== undefined && !/^[0-9a-f]{12}$/.test(id)) throw ctx.usage(`${JSON.stringify(id)} is not a deploy id.`, 'Deploy ids are 12 hexadecimal characters; `scalarium deploys` lists them.');
    if (id === undefined) {
      const list = await ctx.appGet<DeploySummary[]>('/deploys');
      const running = list.find((d) => d.state === 'running');
      if (!running) throw new CliError(`No deploy of ${app} is running.`, `\`scalarium deploys --app ${app}\` lists the recent ones; give an id to see one of them.`);
      id = running.id;
    }
    const api = await ctx.api();
    const release = await printDeploy(ctx, app, api.events('GET', await ctx.appPath(`/deploys/${id}/output`), {}));
    if (ctx.json) return ctx.printJson(release);
    ctx.out(`v${release.version}: ${release.description}`);
  },
};

export const commands: Command[] = [deploy, follow, deploys];
