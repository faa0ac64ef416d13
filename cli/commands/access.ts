// access, access:grant, access:revoke: who has which role on which app or cluster.
import type { Command } from '../command.ts';
import { table } from '../output.ts';
import { checkName, checkRole, ROLE_OPTION, SCOPE_OPTIONS, scopeCell, scopeOf, scopeText } from '../scopes.ts';
import type { Grant, GrantBody, RevokeBody } from '../types.ts';

const list: Command = {
  name: 'access',
  aliases: ['access:list'],
  summary: 'List grants: who has which role where (filter by app, cluster or user)',
  options: {
    ...SCOPE_OPTIONS,
    user: { type: 'string', short: 'u', value: 'NAME', description: 'a user' },
  },
  json: true,
  description: 'Without a filter, lists every grant you may see (all of them for an admin). Give at most one\nof --app, --cluster and --user.',
  examples: ['scalarium access', 'scalarium access --app shop', 'scalarium access --user alice --json'],
  async run(ctx) {
    const given = (['app', 'cluster', 'user'] as const).filter((name) => ctx.string(name) !== undefined);
    if (given.length > 1) throw ctx.usage(`Give at most one of --app, --cluster and --user (got ${given.map((g) => `--${g}`).join(' and ')}).`);
    const filter = given[0];
    const query = filter ? { [filter]: checkName(ctx, filter, ctx.string(filter)!) } : undefined;
    const grants = await (await ctx.api()).get<Grant[]>('/api/access', query);
    if (ctx.json) return ctx.printJson(grants);
    if (grants.length === 0) {
      ctx.out(`No grants${filter ? ` for ${filter} ${query![filter]}` : ''}. Give one with: scalarium access:grant USER --app APP --role ROLE`);
      return;
    }
    const rows = [...grants]
      .sort((a, b) => a.user.localeCompare(b.user) || scopeCell(a.scope).localeCompare(scopeCell(b.scope)))
      .map((g) => [g.user, scopeCell(g.scope), g.role, g.ssh ? 'yes' : '-', g.sudo ? 'yes' : '-']);
    ctx.out(table(['USER', 'SCOPE', 'ROLE', 'SSH', 'SUDO'], rows));
  },
};

const grant: Command = {
  name: 'access:grant',
  summary: 'Give a user a role on an app or a cluster (replaces their role there)',
  args: 'USER',
  positionals: { min: 1, max: 1 },
  options: {
    ...SCOPE_OPTIONS,
    role: ROLE_OPTION,
    ssh: { type: 'boolean', description: 'clusters only: install the user\'s SSH keys on its instances' },
    sudo: { type: 'boolean', description: 'clusters only, with --ssh: their account may use sudo' },
  },
  json: true,
  description:
    'Roles: viewer (read), deployer (viewer + push, rollback, restart, logs), manager (deployer +\n' +
    'config vars, scale, destroy and the members of that app or cluster). A role on a cluster covers\n' +
    'all its apps. Needs admin, or manager of the app or cluster.',
  examples: [
    'scalarium access:grant alice --app shop --role deployer',
    'scalarium access:grant bob --cluster local --role manager --ssh --sudo',
  ],
  async run(ctx) {
    const user = checkName(ctx, 'user', ctx.positionals[0]);
    const scope = scopeOf(ctx, true);
    const roleValue = ctx.string('role');
    if (roleValue === undefined) throw ctx.usage('Missing --role ROLE.', 'Use viewer, deployer or manager.');
    const role = checkRole(ctx, roleValue);
    const ssh = ctx.flag('ssh');
    const sudo = ctx.flag('sudo');
    if (scope.kind === 'app' && (ssh || sudo)) {
      throw ctx.usage(`${ssh ? '--ssh' : '--sudo'} applies to clusters only.`, 'SSH access is to a cluster\'s instances: use --cluster NAME.');
    }
    if (sudo && !ssh) throw ctx.usage('--sudo needs --ssh.', 'sudo is for the account that --ssh creates on the instances.');
    const body: GrantBody = scope.kind === 'app'
      ? { user, app: scope.name, role }
      : { user, cluster: scope.name, role, ssh, sudo };
    const result = await (await ctx.api()).post<Grant>('/api/access', body);
    if (ctx.json) return ctx.printJson(result);
    const extras = ssh ? (sudo ? ' with SSH access and sudo' : ' with SSH access') : '';
    ctx.out(`Granted ${user} ${role} on ${scopeText(scope)}${extras}.`);
  },
};

const revoke: Command = {
  name: 'access:revoke',
  summary: 'Take away a user\'s role on an app or a cluster',
  args: 'USER',
  positionals: { min: 1, max: 1 },
  options: { ...SCOPE_OPTIONS },
  examples: ['scalarium access:revoke alice --app shop', 'scalarium access:revoke bob --cluster local'],
  async run(ctx) {
    const user = checkName(ctx, 'user', ctx.positionals[0]);
    const scope = scopeOf(ctx, true);
    const body: RevokeBody = scope.kind === 'app' ? { user, app: scope.name } : { user, cluster: scope.name };
    await (await ctx.api()).post('/api/access/revoke', body);
    ctx.out(`Revoked ${user}'s access to ${scopeText(scope)}.`);
  },
};

export const commands: Command[] = [list, grant, revoke];
