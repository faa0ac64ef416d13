// apps:lock, apps:unlock and apps:lock-status: the CLI side of the deploy lock (listed by the CLI
// through plugins/builtin-cli.ts).
import type { z } from 'zod';
import type { Command, Context } from '../../cli/command.ts';
import { formatTime } from '../../cli/output.ts';
// A type only: the compiled CLI carries no zod.
import type { lockBody } from './bodies.ts';

interface LockAnswer { app: string; locked: boolean; reason?: string; lockedBy?: string; lockedAt?: string }

function describe(lock: LockAnswer): string {
  return lock.locked
    ? `Deploys of ${lock.app} are locked by ${lock.lockedBy} since ${formatTime(lock.lockedAt)}: ${lock.reason}`
    : `Deploys of ${lock.app} are unlocked.`;
}

async function show(ctx: Context, lock: LockAnswer): Promise<void> {
  if (ctx.json) return ctx.printJson(lock);
  ctx.out(describe(lock));
}

const lock: Command = {
  name: 'apps:lock',
  summary: 'Refuse pushes and deploys of new code to the app until apps:unlock',
  app: true,
  json: true,
  options: { reason: { type: 'string', value: 'TEXT', description: 'why (shown to whoever pushes)' } },
  description: 'Rollbacks, config changes and scaling still work while the app is locked.',
  examples: ['scalarium apps:lock --reason "release freeze until Monday"', 'scalarium apps:lock --app shop'],
  async run(ctx) {
    const reason = ctx.string('reason');
    await show(ctx, await (await ctx.api()).put<LockAnswer>(await ctx.appPath('/deploy-lock'), (reason === undefined ? {} : { reason }) satisfies z.input<typeof lockBody>));
  },
};

const unlock: Command = {
  name: 'apps:unlock',
  summary: 'Let pushes and deploys of new code go live again',
  app: true,
  json: true,
  examples: ['scalarium apps:unlock', 'scalarium apps:unlock --app shop'],
  async run(ctx) {
    await show(ctx, await (await ctx.api()).delete<LockAnswer>(await ctx.appPath('/deploy-lock')));
  },
};

const status: Command = {
  name: 'apps:lock-status',
  summary: 'Whether deploys of the app are locked, by whom and why',
  app: true,
  json: true,
  examples: ['scalarium apps:lock-status --app shop'],
  async run(ctx) {
    await show(ctx, await ctx.appGet<LockAnswer>('/deploy-lock'));
  },
};

export const commands: Command[] = [lock, unlock, status];
