// The UI asks the same authorize hook as the API, per app and action; denials are audited.
import type Koa from 'koa';
import type { Scalarium } from '../../core/scalarium.ts';
import type { Action } from '../../core/types.ts';
import type { Principal } from '../../db/identity.ts';
import { ScalariumError } from '../../core/errors.ts';
import { appendAudit } from '../../db/audit.ts';

export async function mayOnApp(scalarium: Scalarium, principal: Principal, action: Action, app: string): Promise<boolean> {
  return Boolean(await scalarium.hooks.authorize.promise(principal, action, { kind: 'app', name: app }));
}

export async function authorizeApp(scalarium: Scalarium, ctx: Koa.Context, principal: Principal, action: Action, app: string): Promise<void> {
  if (await mayOnApp(scalarium, principal, action, app)) return;
  await appendAudit(scalarium.db, {
    actor: principal.user.name, source: ctx.ip, action: `${ctx.method} ${ctx.path}`, target: app.slice(0, 64), outcome: 'denied',
  });
  throw new ScalariumError('forbidden');
}
