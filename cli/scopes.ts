// Shared argument checks of the access-control commands (users, access, tokens, audit): names,
// roles, the `--app A | --cluster C` scope and durations like 90d. All failures are usage errors
// (exit 2), raised before any request is sent.
import { isValidName } from '../server/core/names.ts';
import type { Context, OptionSpec } from './command.ts';
import type { Scope } from './types.ts';

export const ROLES = ['viewer', 'deployer', 'manager'] as const;
export type Role = (typeof ROLES)[number];

export const NAME_HINT = 'Names are 1-30 lowercase letters, digits and dashes, starting with a letter (e.g. "alice").';

export const SCOPE_OPTIONS: Record<'app' | 'cluster', OptionSpec> = {
  app: { type: 'string', short: 'a', value: 'NAME', description: 'an app' },
  cluster: { type: 'string', short: 'c', value: 'NAME', description: 'a cluster (a role on a cluster covers its apps)' },
};

export const ROLE_OPTION: OptionSpec = { type: 'string', short: 'r', value: 'ROLE', description: 'viewer, deployer or manager' };

/** A user, app, cluster or token name; a usage error when it is not one. */
export function checkName(ctx: Context, kind: string, value: string): string {
  if (!isValidName(value)) throw ctx.usage(`${JSON.stringify(value)} is not a valid ${kind} name.`, NAME_HINT);
  return value;
}

export function checkRole(ctx: Context, value: string): Role {
  if (!(ROLES as readonly string[]).includes(value)) {
    throw ctx.usage(`${JSON.stringify(value)} is not a role.`, 'Use viewer, deployer or manager.');
  }
  return value as Role;
}

/**
 * The scope given with `--app NAME` or `--cluster NAME`. `required`: exactly one of them; else at
 * most one (undefined when neither is given).
 */
export function scopeOf(ctx: Context, required: true): Scope;
export function scopeOf(ctx: Context, required: false): Scope | undefined;
export function scopeOf(ctx: Context, required: boolean): Scope | undefined {
  const app = ctx.string('app');
  const cluster = ctx.string('cluster');
  if (app !== undefined && cluster !== undefined) throw ctx.usage('Give either --app or --cluster, not both.');
  if (app !== undefined) return { kind: 'app', name: checkName(ctx, 'app', app) };
  if (cluster !== undefined) return { kind: 'cluster', name: checkName(ctx, 'cluster', cluster) };
  if (required) throw ctx.usage('Missing --app NAME or --cluster NAME.', 'Say where the role applies: one app, or a cluster and all its apps.');
  return undefined;
}

/** "app shop", "cluster local". */
export function scopeText(scope: Scope | null | undefined): string {
  return scope ? `${scope.kind} ${scope.name}` : 'all';
}

/** "app:shop", "cluster:local" for table cells. */
export function scopeCell(scope: Scope | null | undefined): string {
  return scope ? `${scope.kind}:${scope.name}` : 'all';
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * A relative duration (`90d`, `12h`; `units` says which letters) or an ISO date, checked locally and
 * sent as given. `future`: an ISO date must lie ahead (token expiry), else behind (audit --since).
 */
export function checkWhen(ctx: Context, option: string, value: string, units: string, future: boolean): string {
  const relative = new RegExp(`^([0-9]{1,6})[${units}]$`).exec(value);
  const examples = units.split('').map((unit) => `${unit === 'd' ? 90 : unit === 'h' ? 12 : 30}${unit}`).join(', ');
  if (relative) {
    if (Number(relative[1]) === 0) throw ctx.usage(`--${option} ${value} is zero.`, `Use e.g. ${examples}.`);
    return value;
  }
  const time = ISO_DATE.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(time)) {
    throw ctx.usage(`--${option} must be a duration (${examples}) or an ISO date, got ${JSON.stringify(value)}.`);
  }
  if (future && time <= Date.now()) throw ctx.usage(`--${option} ${value} is in the past.`, `Use a later date, or a duration such as ${examples}.`);
  if (!future && time > Date.now()) throw ctx.usage(`--${option} ${value} is in the future.`);
  return value;
}
