// login, logout, whoami.
import { ApiClient, ApiError, normalizeServerUrl } from '../api-client.ts';
import { cliVersion, type Command, type Context } from '../command.ts';
import { clearToken, readConfig, writeConfig, type StoredConfig } from '../config-store.ts';
import { CliError } from '../errors.ts';
import type { Whoami } from '../types.ts';

async function readStdin(ctx: Context): Promise<string> {
  const stdin = ctx.io.stdin;
  if (!stdin) return '';
  let text = '';
  for await (const chunk of stdin) {
    text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (text.length > 64 * 1024) break;
  }
  return text.trim();
}

function envOverrides(ctx: Context, server: string, token: string): void {
  const { SCALARIUM_SERVER, SCALARIUM_TOKEN } = ctx.env;
  if (SCALARIUM_SERVER && SCALARIUM_SERVER.replace(/\/+$/, '') !== server) {
    ctx.err('▸ Note: SCALARIUM_SERVER is set in your environment and overrides the saved server.');
  }
  if (SCALARIUM_TOKEN && SCALARIUM_TOKEN !== token) {
    ctx.err('▸ Note: SCALARIUM_TOKEN is set in your environment and overrides the saved token.');
  }
}

const login: Command = {
  name: 'login',
  summary: 'Log in to a Scalarium server with an API token',
  description:
    'Checks the token with the server (GET /api/whoami), then saves server and token in\n' +
    '$XDG_CONFIG_HOME/scalarium/config.json (or ~/.config/scalarium/config.json), readable only by you.\n' +
    'Use `--token -` to read the token from stdin and keep it out of your shell history.',
  options: {
    server: { type: 'string', value: 'URL', description: 'the server, e.g. http://127.0.0.1:5050 (default: the saved one)' },
    token: { type: 'string', value: 'TOKEN', description: 'an API token; "-" reads it from stdin' },
  },
  examples: [
    'scalarium login --server http://127.0.0.1:5050 --token sc_1a2b3c…',
    'printf %s "$TOKEN" | scalarium login --server https://paas.example.com --token -',
  ],
  async run(ctx) {
    let stored: StoredConfig = {};
    try {
      stored = await readConfig(ctx.env);
    } catch {
      // a damaged file is about to be replaced
    }
    const serverInput = ctx.string('server') ?? ctx.env.SCALARIUM_SERVER ?? stored.server;
    if (!serverInput) throw ctx.usage('Missing --server URL.', 'e.g. scalarium login --server http://127.0.0.1:5050 --token TOKEN');
    const server = normalizeServerUrl(serverInput);
    let token = ctx.string('token');
    if (token === '-') token = await readStdin(ctx);
    if (!token) throw ctx.usage('Missing --token TOKEN.', 'Give an API token with --token TOKEN, or pipe it in with --token -.');
    if (/\s/.test(token)) throw ctx.usage('The token contains whitespace.', 'Copy the token exactly as it was shown.');

    const client = new ApiClient({ server, token, signal: ctx.signal, userAgent: `scalarium-cli/${cliVersion()}` });
    let me: Whoami;
    try {
      me = await client.get<Whoami>('/api/whoami');
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        throw new CliError(`The server at ${server} did not accept this token.`, 'Check the token: API tokens are shown once, when they are created.');
      }
      throw error;
    }
    if (!me || typeof me.user?.name !== 'string') {
      throw new CliError(`The server at ${server} did not answer like a Scalarium server.`, 'Check the --server URL.');
    }
    await writeConfig(ctx.env, { server, token });
    ctx.out(`Logged in to ${server} as ${me.user.name}`);
    envOverrides(ctx, server, token);
  },
};

const logout: Command = {
  name: 'logout',
  summary: 'Forget the saved API token',
  description: 'Removes the token from the config file (the server URL stays for the next login).',
  examples: ['scalarium logout'],
  async run(ctx) {
    const before = await clearToken(ctx.env);
    if (before.token) ctx.out(`Logged out${before.server ? ` of ${before.server}` : ''}`);
    else ctx.out('Not logged in');
    if (ctx.env.SCALARIUM_TOKEN) ctx.err('▸ Note: SCALARIUM_TOKEN is still set in your environment; unset it to log out completely.');
  },
};

const whoami: Command = {
  name: 'whoami',
  summary: 'Show who the API token belongs to',
  json: true,
  examples: ['scalarium whoami', 'scalarium whoami --json'],
  async run(ctx) {
    const api = await ctx.api();
    const me = await api.get<Whoami>('/api/whoami');
    if (ctx.json) return ctx.printJson(me);
    const token = me.token?.name ? ` (token ${JSON.stringify(me.token.name)})` : '';
    ctx.out(`${me.user.name} on ${api.server}${token}`);
  },
};

export const commands: Command[] = [login, logout, whoami];
