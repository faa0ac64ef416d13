// users, users:create, users:invite, users:disable, users:enable, users:destroy (admin only).
import type { Command, Context } from '../command.ts';
import { CliError } from '../errors.ts';
import { formatTime, table } from '../output.ts';
import { checkName } from '../scopes.ts';
import type { NewUserBody, User } from '../types.ts';

function userPath(name: string, rest = ''): string {
  return `/api/users/${encodeURIComponent(name)}${rest}`;
}

function status(user: User): string {
  if (user.disabled) return 'disabled';
  if (user.invitePending) return 'invited';
  return 'active';
}

/** The one-time invite link, with what to do with it. */
function printInvite(ctx: Context, name: string, inviteUrl: string): void {
  ctx.out(`Invite link for ${name} (shown only this once, valid for 7 days):`);
  ctx.out(inviteUrl);
  ctx.out(`Send it to ${name}: the page lets them choose a password. Lost it? \`scalarium users:invite ${name}\` makes a new one.`);
}

const list: Command = {
  name: 'users',
  aliases: ['users:list'],
  summary: 'List users (admin)',
  json: true,
  examples: ['scalarium users', 'scalarium users --json'],
  async run(ctx) {
    const users = await (await ctx.api()).get<User[]>('/api/users');
    if (ctx.json) return ctx.printJson(users);
    if (users.length === 0) {
      ctx.out('No users. Add one with: scalarium users:create NAME');
      return;
    }
    const rows = [...users].sort((a, b) => a.name.localeCompare(b.name))
      .map((u) => [u.name, u.email || '-', u.admin ? 'yes' : '-', status(u), formatTime(u.createdAt)]);
    ctx.out(table(['NAME', 'EMAIL', 'ADMIN', 'STATUS', 'CREATED'], rows));
  },
};

const create: Command = {
  name: 'users:create',
  summary: 'Add a user and print their one-time invite link (admin)',
  args: 'NAME',
  positionals: { min: 1, max: 1 },
  json: true,
  description:
    'The new user has no password and no access yet: they choose a password on the invite page, and\n' +
    'you give them roles with `scalarium access:grant`. The link is shown once and works for 7 days;\n' +
    '`scalarium users:invite NAME` makes a new one.',
  options: {
    email: { type: 'string', value: 'EMAIL', description: 'their email address' },
    admin: { type: 'boolean', description: 'make them an admin (may do everything, including managing users)' },
  },
  examples: ['scalarium users:create alice --email alice@example.org', 'scalarium users:create bob --admin'],
  async run(ctx) {
    const name = checkName(ctx, 'user', ctx.positionals[0]);
    const email = ctx.string('email');
    if (email !== undefined && !/^[^\s@]+@[^\s@]+$/.test(email)) throw ctx.usage(`${JSON.stringify(email)} is not an email address.`);
    const admin = ctx.flag('admin');
    const api = await ctx.api();
    const created = await api.post<{ user: User; inviteUrl: string }>('/api/users', { name, ...(email !== undefined ? { email } : {}), admin } satisfies NewUserBody);
    if (ctx.json) return ctx.printJson(created);
    ctx.out(`Created user ${name}${admin ? ' (admin)' : ''}.`);
    printInvite(ctx, name, created.inviteUrl);
  },
};

const invite: Command = {
  name: 'users:invite',
  summary: 'Make a new one-time invite link for a user; older links stop working (admin)',
  args: 'NAME',
  positionals: { min: 1, max: 1 },
  json: true,
  examples: ['scalarium users:invite alice'],
  async run(ctx) {
    const name = checkName(ctx, 'user', ctx.positionals[0]);
    const answer = await (await ctx.api()).post<{ inviteUrl: string }>(userPath(name, '/invite'));
    if (ctx.json) return ctx.printJson(answer);
    printInvite(ctx, name, answer.inviteUrl);
    ctx.err('▸ Earlier invite links for this user no longer work.');
  },
};

const disable: Command = {
  name: 'users:disable',
  summary: 'Disable a user: their sessions end and their API tokens stop working at once (admin)',
  args: 'NAME',
  positionals: { min: 1, max: 1 },
  json: true,
  examples: ['scalarium users:disable alice'],
  async run(ctx) {
    const name = checkName(ctx, 'user', ctx.positionals[0]);
    const user = await (await ctx.api()).post<User>(userPath(name, '/disable'));
    if (ctx.json) return ctx.printJson(user);
    ctx.out(`Disabled ${name}: their sessions ended and their API tokens stopped working.`);
  },
};

const enable: Command = {
  name: 'users:enable',
  summary: 'Enable a disabled user again (admin)',
  args: 'NAME',
  positionals: { min: 1, max: 1 },
  json: true,
  examples: ['scalarium users:enable alice'],
  async run(ctx) {
    const name = checkName(ctx, 'user', ctx.positionals[0]);
    const user = await (await ctx.api()).post<User>(userPath(name, '/enable'));
    if (ctx.json) return ctx.printJson(user);
    ctx.out(`Enabled ${name}.`);
  },
};

const destroy: Command = {
  name: 'users:destroy',
  summary: 'Delete a user for good (needs --confirm NAME; admin)',
  args: 'NAME',
  positionals: { min: 1, max: 1 },
  options: {
    confirm: { type: 'string', value: 'NAME', description: 'the user name again, to confirm' },
  },
  description: 'Deletes the user account. There is no undo, so --confirm must repeat the name. To lock an\naccount but keep it, use `scalarium users:disable`.',
  examples: ['scalarium users:destroy alice --confirm alice'],
  async run(ctx) {
    const name = checkName(ctx, 'user', ctx.positionals[0]);
    const confirm = ctx.string('confirm');
    if (confirm !== name) {
      throw new CliError(
        confirm === undefined
          ? `This deletes the user ${name}. It cannot be undone.`
          : `--confirm ${confirm} does not match the user name ${name}; nothing was deleted.`,
        `To proceed, run: scalarium users:destroy ${name} --confirm ${name}`,
      );
    }
    await (await ctx.api()).delete(userPath(name));
    ctx.out(`Deleted user ${name}.`);
  },
};

export const commands: Command[] = [list, create, invite, disable, enable, destroy];
