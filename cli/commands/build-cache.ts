// builds:cache:clear — empties the app's build cache, so that the next build starts from nothing.
import type { Command } from '../command.ts';

const clear: Command = {
  name: 'builds:cache:clear',
  aliases: ['build-cache:clear'],
  summary: 'Empty the app\'s build cache (every buildpack\'s CACHE_DIR); the next build starts clean',
  app: true,
  json: true,
  description:
    'Buildpacks keep downloads and installed dependencies in a cache between builds of an app (npm\'s\n' +
    'cache, for the built-in Node.js buildpack). Clear it when a build goes wrong because of what it\n' +
    'cached; the next push or deploy rebuilds the cache. What runs now is not affected.',
  examples: ['scalarium builds:cache:clear', 'scalarium builds:cache:clear --app shop'],
  async run(ctx) {
    const app = await ctx.app();
    const path = await ctx.appPath('/build-cache');
    const api = await ctx.api();
    const result = await ctx.progress(`Clearing the build cache of ${app}`, () => api.delete<{ app: string; cleared: boolean }>(path));
    if (ctx.json) return ctx.printJson(result);
    ctx.out(result.cleared
      ? `Build cache of ${app} cleared; the next build starts clean.`
      : `${app} has no build cache yet; nothing to clear.`);
  },
};

export const commands: Command[] = [clear];
