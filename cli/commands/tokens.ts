// tokens, tokens:create, tokens:revoke: your own API tokens.
import type { Command } from '../command.ts';
import { formatTime, table } from '../output.ts';
import { checkName, checkRole, checkWhen, ROLE_OPTION, SCOPE_OPTIONS, scopeCell, scopeOf, scopeText } from '../scopes.ts';
import type { ApiToken, TokenBody } from '../types.ts';

const list: Command = {
  name: 'tokens',
  aliases: ['tokens:list'],
  summary: 'List your API tokens (never the tokens themselves)',
  json: true,
  description: 'SCOPE "all" means every app you have a role on; ROLE "yours" means whatever your own roles allow.',
  examples: ['scalarium tokens', 'scalarium tokens --json'],
  async run(ctx) {
    const tokens = await (await ctx.api()).get<ApiToken[]>('/api/tokens');
    if (ctx.json) return ctx.printJson(tokens);
    if (tokens.length === 0) {
      ctx.out('No API tokens. Make one with: scalarium tokens:create NAME');
      return;
    }
    const rows = [...tokens].sort((a, b) => a.name.localeCompare(b.name)).map((token) => [
      token.name,
      scopeCell(token.scope),
      token.role ?? 'yours',
      token.expiresAt ? formatTime(token.expiresAt) : 'never',
      token.lastUsedAt ? formatTime(token.lastUsedAt) : 'never',
    ]);
    ctx.out(table(['NAME', 'SCOPE', 'ROLE', 'EXPIRES', 'LAST USED'], rows));
  },
};

const create: Command = {
  name: 'tokens:create',
  summary: 'Make an API token, optionally limited to an app or cluster, a role and a lifetime',
  args: 'NAME',
  positionals: { min: 1, max: 1 },
  options: {
    ...SCOPE_OPTIONS,
    role: { ...ROLE_OPTION, description: 'the most the token may do: viewer, deployer or manager (default: your roles)' },
    expires: { type: 'string', value: 'WHEN', description: 'a lifetime like 90d or 12h, or an ISO date (default: never)' },
  },
  json: true,
  description:
    'Prints the token on stdout, alone, and the rest on stderr, so `TOKEN=$(scalarium tokens:create ci)`\n' +
    'works. This is the only time the token is shown: the server keeps only its hash. A token never\n' +
    'does more than your own roles allow.',
  examples: [
    'scalarium tokens:create laptop',
    'scalarium tokens:create ci --app shop --role deployer --expires 90d',
    'scalarium tokens:create ci --json',
  ],
  async run(ctx) {
    const name = checkName(ctx, 'token', ctx.positionals[0]);
    const scope = scopeOf(ctx, false);
    const roleValue = ctx.string('role');
    const role = roleValue === undefined ? undefined : checkRole(ctx, roleValue);
    const expiresValue = ctx.string('expires');
    const expires = expiresValue === undefined ? undefined : checkWhen(ctx, 'expires', expiresValue, 'dh', true);
    const body: TokenBody = {
      name,
      ...(scope?.kind === 'app' ? { app: scope.name } : scope ? { cluster: scope.name } : {}),
      ...(role ? { role } : {}),
      ...(expires ? { expires } : {}),
    };
    const created = await (await ctx.api()).post<ApiToken & { token: string }>('/api/tokens', body);
    if (ctx.json) return ctx.printJson(created);
    const limits = [
      created.scope ? `only ${scopeText(created.scope)}` : 'all your apps',
      created.role ? `at most ${created.role}` : 'your roles',
      created.expiresAt ? `expires ${formatTime(created.expiresAt)}` : 'never expires',
    ];
    ctx.err(`Created API token ${created.name ?? name} (${limits.join(', ')}):`);
    ctx.out(created.token);
    ctx.err('▸ Store it now, e.g. in your CI\'s secrets: it is shown only this once and cannot be shown again.');
  },
};

const revoke: Command = {
  name: 'tokens:revoke',
  summary: 'Revoke one of your API tokens; it stops working on its next request',
  args: 'NAME',
  positionals: { min: 1, max: 1 },
  examples: ['scalarium tokens:revoke ci'],
  async run(ctx) {
    const name = checkName(ctx, 'token', ctx.positionals[0]);
    await (await ctx.api()).delete(`/api/tokens/${encodeURIComponent(name)}`);
    ctx.out(`Revoked API token ${name}.`);
  },
};

export const commands: Command[] = [list, create, revoke];
