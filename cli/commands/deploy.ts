// deploy: one-click deployment from the command line — the latest or a chosen commit of the app's
// repository, a chosen release, an archive URL, or a local tarball uploaded to the server.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from '../command.ts';
import type { Release } from '../types.ts';
import { parseVersion } from './releases.ts';

const deploy: Command = {
  name: 'deploy',
  summary: 'Deploy a commit, a release, an archive URL or a local tarball',
  app: true,
  json: true,
  options: {
    commit: { type: 'string', value: 'SHA', description: 'a commit of the app\'s repository (default: the latest of main)' },
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
    let send: () => Promise<Release>;
    if (options.file !== undefined) {
      const file = path.resolve(ctx.cwd, options.file);
      const data = await readFile(file).catch((error: Error) => {
        throw ctx.usage(`Cannot read ${file}: ${error.message}`);
      });
      what = `${path.basename(file)} (${(data.length / 1024 / 1024).toFixed(1)}M)`;
      send = () => api.upload<Release>(target, data, 'application/gzip');
    } else if (options.archive !== undefined) {
      if (!/^https?:\/\//.test(options.archive)) throw ctx.usage('--archive must be an http(s) URL.');
      what = options.archive;
      send = () => api.postLong<Release>(target, { archive: options.archive });
    } else if (options.release !== undefined) {
      const version = parseVersion(ctx, options.release);
      what = `v${version}`;
      send = () => api.postLong<Release>(target, { release: version });
    } else {
      const commit = options.commit ?? 'main';
      if (!/^(?:[0-9a-f]{7,40}|main|master)$/.test(commit)) throw ctx.usage(`${JSON.stringify(commit)} is not a commit id.`, 'Use 7-40 hexadecimal characters, main or master.');
      what = commit;
      send = () => api.postLong<Release>(target, { commit });
    }
    const release = await ctx.progress(`Deploying ${what} to ${app}`, send, (r) => `done, v${r.version}`);
    if (ctx.json) return ctx.printJson(release);
    ctx.out(`v${release.version}: ${release.description}`);
  },
};

export const commands: Command[] = [deploy];
