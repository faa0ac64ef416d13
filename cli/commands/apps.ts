// apps, apps:create, apps:info, apps:destroy, open.
import { execFile } from 'node:child_process';
import { isValidName } from '../../server/core/names.ts';
import { APP_NAME_HINT, appFromRemote } from '../app-resolver.ts';
import type { Command, Context } from '../command.ts';
import { CliError } from '../errors.ts';
import { isGitRepo, REMOTE, removeRemote } from '../git.ts';
import { fields, formatFormation, formatTime, table } from '../output.ts';
import { checkName } from '../scopes.ts';
import type { App, NewAppBody } from '../types.ts';
import { withClusterHint } from './clusters.ts';
import { connectRemote } from './git.ts';
import { processRows, PROCESS_HEADERS } from './ps.ts';

function releaseLabel(app: App): string {
  if (!app.release) return '-';
  return `v${app.release.version}`;
}

const list: Command = {
  name: 'apps',
  aliases: ['apps:list'],
  summary: 'List apps',
  json: true,
  examples: ['scalarium apps', 'scalarium apps --json'],
  async run(ctx) {
    const apps = await (await ctx.api()).get<App[]>('/api/apps');
    if (ctx.json) return ctx.printJson(apps);
    if (apps.length === 0) {
      ctx.out('No apps yet. Create one with: scalarium apps:create NAME');
      return;
    }
    const rows = [...apps].sort((a, b) => a.name.localeCompare(b.name))
      .map((app) => [app.name, app.cluster || '-', releaseLabel(app), formatFormation(app.formation), app.url ?? '']);
    ctx.out(table(['NAME', 'CLUSTER', 'RELEASE', 'FORMATION', 'URL'], rows));
  },
};

const create: Command = {
  name: 'apps:create',
  aliases: ['create'],
  summary: 'Create an app and its git remote "scalarium"',
  args: 'NAME',
  positionals: { min: 1, max: 1 },
  json: true,
  description:
    'Creates the app on the server. Inside a git repository it also adds the git remote "scalarium"\n' +
    '(or points the existing one at the new app) with the plain git URL, and configures\n' +
    '`scalarium git-credential` as the repository\'s git credential helper for the server, so that\n' +
    '`git push scalarium main` authenticates with your API token. The token is not written into\n' +
    '.git/config. Use --no-remote to leave git alone (`scalarium git:remote` does it later).\n' +
    'The app runs on the cluster given with --cluster (you need the manager role on it), by default\n' +
    'the local one.',
  options: {
    cluster: { type: 'string', short: 'c', value: 'NAME', description: 'the cluster the app runs on (default: local)' },
    'no-remote': { type: 'boolean', description: 'do not add or update the git remote "scalarium"' },
  },
  examples: ['scalarium apps:create shop', 'scalarium apps:create shop --cluster prod', 'scalarium apps:create shop --no-remote'],
  async run(ctx) {
    const name = ctx.positionals[0];
    if (!isValidName(name)) throw ctx.usage(`${JSON.stringify(name)} is not a valid app name.`, APP_NAME_HINT);
    const clusterValue = ctx.string('cluster');
    const cluster = clusterValue === undefined ? undefined : checkName(ctx, 'cluster', clusterValue);
    const api = await ctx.api();
    const app = await ctx.progress(`Creating ${name}${cluster ? ` on cluster ${cluster}` : ''}`,
      () => withClusterHint(api.post<App>('/api/apps', (cluster ? { name, cluster } : { name }) satisfies NewAppBody)));
    if (ctx.json) ctx.printJson(app);
    else ctx.out(`${app.url} | ${app.gitUrl}`);
    if (ctx.flag('no-remote')) return;
    if (!(await isGitRepo({ cwd: ctx.cwd, env: ctx.env }))) return;
    await connectRemote(ctx, app, `App ${name} was created, but setting`);
  },
};

async function getApp(ctx: Context): Promise<App> {
  return ctx.appGet<App>();
}

const info: Command = {
  name: 'apps:info',
  aliases: ['info'],
  summary: 'Show an app: URLs, release, formation, cluster and processes',
  app: true,
  json: true,
  examples: ['scalarium apps:info', 'scalarium info --app shop --json'],
  async run(ctx) {
    const app = await getApp(ctx);
    if (ctx.json) return ctx.printJson(app);
    const release = app.release
      ? `v${app.release.version}${app.release.commit ? ` (${app.release.commit.slice(0, 7)})` : ''}${app.release.createdAt ? `, ${formatTime(app.release.createdAt)}` : ''}`
      : 'none yet (push code: git push scalarium main)';
    ctx.out(`=== ${app.name}`);
    ctx.out(fields([
      ['Web URL', app.url ?? ''],
      ['Git URL', app.gitUrl ?? ''],
      ['Release', release],
      ['Formation', formatFormation(app.formation)],
      ['Cluster', app.cluster || '-'],
      ['Created', formatTime(app.createdAt)],
    ]));
    const processes = app.processes ?? [];
    if (processes.length > 0) {
      ctx.out('');
      ctx.out(`=== Processes (${processes.length})`);
      ctx.out(table(PROCESS_HEADERS, processRows(processes, Date.now())));
    }
  },
};

const destroy: Command = {
  name: 'apps:destroy',
  aliases: ['destroy'],
  summary: 'Destroy an app for good (needs --confirm NAME)',
  args: '[NAME]',
  positionals: { min: 0, max: 1 },
  app: true,
  options: {
    confirm: { type: 'string', value: 'NAME', description: 'the app name again, to confirm' },
  },
  description:
    'Stops the app\'s processes and deletes its repository, config vars and releases. There is no undo,\n' +
    'so --confirm must repeat the app name. Removes the git remote "scalarium" if it points at the app.',
  examples: ['scalarium apps:destroy --app shop --confirm shop', 'scalarium apps:destroy shop --confirm shop'],
  async run(ctx) {
    const positional = ctx.positionals[0];
    if (positional !== undefined && ctx.string('app') !== undefined && positional !== ctx.string('app')) {
      throw ctx.usage(`Two different apps given: ${positional} and --app ${ctx.string('app')}.`);
    }
    if (positional !== undefined && !isValidName(positional)) throw ctx.usage(`${JSON.stringify(positional)} is not a valid app name.`, APP_NAME_HINT);
    const name = positional ?? (await ctx.app());
    const confirm = ctx.string('confirm');
    if (confirm !== name) {
      throw new CliError(
        confirm === undefined
          ? `This destroys ${name}: its processes, repository, config vars and releases. It cannot be undone.`
          : `--confirm ${confirm} does not match the app name ${name}; nothing was destroyed.`,
        `To proceed, run: scalarium apps:destroy --app ${name} --confirm ${name}`,
      );
    }
    const api = await ctx.api();
    await ctx.progress(`Destroying ${name} (stopping processes, removing repository and releases)`,
      () => api.delete(`/api/apps/${encodeURIComponent(name)}`));
    const git = { cwd: ctx.cwd, env: ctx.env };
    const { app: remoteApp } = await appFromRemote(git);
    if (remoteApp === name) {
      try {
        await removeRemote(git);
        ctx.out(`Git remote ${REMOTE} removed`);
      } catch {
        // the app is gone; a stale remote is harmless
      }
    }
  },
};

/** Opens a URL in the desktop browser when xdg-open exists; any failure is ignored. */
function tryXdgOpen(url: string, ctx: Context): Promise<void> {
  return new Promise((resolve) => {
    try {
      const child = execFile('xdg-open', [url], { env: ctx.env, timeout: 5000, windowsHide: true }, () => resolve());
      child.on('error', () => resolve());
    } catch {
      resolve();
    }
  });
}

const open: Command = {
  name: 'open',
  aliases: ['apps:open'],
  summary: 'Print the app\'s URL and open it in a browser',
  app: true,
  examples: ['scalarium open', 'scalarium open -a shop'],
  async run(ctx) {
    const app = await getApp(ctx);
    ctx.out(app.url);
    await tryXdgOpen(app.url, ctx);
  },
};

/** Also used by `ps:scale` without arguments. */

export const commands: Command[] = [list, create, info, destroy, open];
