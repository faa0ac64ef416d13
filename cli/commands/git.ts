// git:remote (point the git remote "scalarium" at an app and let git authenticate through this CLI)
// and git-credential (the credential helper git runs; not for people).
import type { Command, Context } from '../command.ts';
import { loadSession } from '../config-store.ts';
import { CliError } from '../errors.ts';
import { credentialAnswer, helperCommand, parseCredentialRequest, requestOrigin, serverOrigin } from '../credential-helper.ts';
import { configureCredentialHelper, isGitRepo, plainGitUrl, REMOTE, setRemote } from '../git.ts';
import type { App, AppChangeBody } from '../types.ts';

function firstLine(error: unknown): string {
  const e = error as { stderr?: string; message?: string };
  return (e.stderr?.trim() || e.message || String(error)).split('\n')[0];
}

/**
 * Sets the remote "scalarium" of the repository in the working directory to the app's plain git URL
 * and configures `scalarium git-credential` as the credential helper for the server's origin, so
 * `git push scalarium main` authenticates with the API token without it being written to
 * .git/config. Prints `Git remote scalarium added|updated`.
 */
export async function connectRemote(ctx: Context, app: App, failure = 'Setting'): Promise<void> {
  const git = { cwd: ctx.cwd, env: ctx.env };
  const api = await ctx.api();
  const origin = serverOrigin(api.server)!;
  let url: string;
  try {
    url = plainGitUrl(app.gitUrl);
  } catch {
    throw new CliError(`${failure} the git remote "${REMOTE}" for ${app.name} failed: the server gave no usable git URL (${JSON.stringify(app.gitUrl)}).`);
  }
  let how: 'added' | 'updated';
  try {
    how = await setRemote(git, url);
    await configureCredentialHelper(git, origin, helperCommand());
  } catch (error) {
    throw new CliError(`${failure} the git remote "${REMOTE}" for ${app.name} failed: ${firstLine(error)}`,
      `Add it yourself: git remote add ${REMOTE} ${url}, then run \`scalarium git:remote\` there (or enter your API token as the password when git asks).`);
  }
  ctx.note(`Git remote ${REMOTE} ${how}`);
  const gitOrigin = serverOrigin(url);
  if (gitOrigin !== origin) {
    ctx.err(`▸ Note: the app's git URL (${gitOrigin}) is not on the server you are logged in to (${origin}), so the`);
    ctx.err('  credential helper does not answer for it: git will ask for a password; enter your API token.');
  }
}

const remote: Command = {
  name: 'git:remote',
  summary: 'Add (or fix) the git remote "scalarium" for an existing app',
  app: true,
  description:
    'Run it inside your git repository. Points the remote "scalarium" at the app\'s git URL, without\n' +
    'credentials, and configures `scalarium git-credential` in the repository\'s .git/config as the\n' +
    'credential helper for the server, so `git push scalarium main` authenticates with the API token\n' +
    'of your login (or SCALARIUM_TOKEN). Also removes a token an older CLI put into the remote URL.',
  examples: ['scalarium git:remote --app shop', 'scalarium git:remote'],
  async run(ctx) {
    const git = { cwd: ctx.cwd, env: ctx.env };
    if (!(await isGitRepo(git))) {
      throw new CliError(`${ctx.cwd} is not inside a git repository.`, 'Run it in your app\'s repository (or `git init` first).');
    }
    const app = await ctx.appGet<App>();
    await connectRemote(ctx, app);
  },
};

const MAX_REQUEST = 64 * 1024;

/** git's request: stdin up to the blank line that ends it (or EOF). */
async function readRequest(ctx: Context): Promise<string> {
  const stdin = ctx.io.stdin;
  if (!stdin) return '';
  let text = '';
  for await (const chunk of stdin) {
    text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (/(^|\n)\r?\n/.test(text) || text.length > MAX_REQUEST) break;
  }
  return text;
}

const credential: Command = {
  name: 'git-credential',
  hidden: true,
  summary: 'The git credential helper: git runs it to get the API token (not for people)',
  args: 'get|store|erase',
  positionals: { min: 1, max: 1 },
  description:
    'Implements git\'s credential helper protocol (see `git help credentials`). For `get`, when the\n' +
    'protocol, host and port git asks about are those of the logged-in server, it prints\n' +
    '"username=scalarium" and "password=<API token>"; for any other host it prints nothing. `store`\n' +
    'and `erase` are ignored: the token lives in the CLI\'s config (or SCALARIUM_TOKEN), nowhere else.\n' +
    '`scalarium apps:create` and `scalarium git:remote` configure it; you do not run it yourself.',
  examples: ["git config credential.http://127.0.0.1:5050.helper \"!'/usr/bin/node' '/opt/scalarium/bin/scalarium.js' git-credential\""],
  async run(ctx) {
    const action = ctx.positionals[0];
    const request = parseCredentialRequest(await readRequest(ctx));
    if (action !== 'get') return 0; // store, erase and any future action: nothing to do
    let session;
    try {
      session = await loadSession(ctx.env);
    } catch (error) {
      // git shows a helper's stderr; stdout must stay empty so git falls back to asking
      ctx.err(`scalarium git-credential: ${(error as Error).message}`);
      return 0;
    }
    const answer = credentialAnswer(request, session.server, session.token);
    if (answer) ctx.io.stdout.write(answer);
    else if (!session.token && session.server && requestOrigin(request) === serverOrigin(session.server)) {
      ctx.err(`scalarium git-credential: not logged in to ${session.server}; run \`scalarium login\`.`);
    }
    return 0;
  },
};

const branch: Command = {
  name: 'git:branch',
  summary: 'Show or set the branch whose pushes deploy the app',
  args: '[BRANCH]',
  positionals: { min: 0, max: 1 },
  app: true,
  json: true,
  description:
    'Until it is set, the first push of main or master makes that branch the deploy branch. Pushes of\n' +
    'other branches are only stored; `git push scalarium master:main` deploys master through main.\n' +
    'A branch that points at another commit than the live release is refused: deploy it first\n' +
    '(`scalarium deploy --commit BRANCH`), then set it.',
  examples: ['scalarium git:branch', 'scalarium git:branch master --app shop'],
  async run(ctx) {
    const wanted = ctx.positionals[0];
    if (wanted === undefined) {
      const app = await ctx.appGet<App>();
      if (ctx.json) return ctx.printJson({ deployBranch: app.deployBranch ?? 'main' });
      return ctx.out(app.deployBranch ?? 'main');
    }
    const api = await ctx.api();
    const app = await api.patch<App>(await ctx.appPath(), { deployBranch: wanted } satisfies AppChangeBody);
    if (ctx.json) return ctx.printJson({ deployBranch: app.deployBranch });
    ctx.out(`Pushes to ${app.deployBranch} deploy ${app.name} now.`);
  },
};

export const commands: Command[] = [remote, branch, credential];
