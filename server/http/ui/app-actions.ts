// The app page's forms: deploy, rollback, config set/unset, scale, restart. POST only; each checks the
// session, origin and CSRF token, asks the authorize hook, calls the shared app service, then
// redirects back (303) with a notice — or re-renders the page with the error and its status.
import type Router from '@koa/router';
import type { Scalarium } from '../../core/scalarium.ts';
import type { Action } from '../../core/types.ts';
import type { Principal } from '../../db/identity.ts';
import { ScalariumError } from '../../core/errors.ts';
import { isValidProcessType } from '../../core/names.ts';
import { requireApp, restart, rollback, scale, setConfig } from '../../core/app-service.ts';
import { deployApp, type DeployRequest } from '../../core/deploy-service.ts';
import { authorizeApp } from './authorize.ts';
import { readCheckedForm } from './csrf.ts';
import { renderAppPage, type PageMessages } from './app-page.ts';
import { requireSession, seeOther } from './session.ts';

type Form = Record<string, string>;
type Run = (app: string, form: Form, principal: Principal) => Promise<string>;

function post(scalarium: Scalarium, router: Router, suffix: string, action: Action, run: Run, keep?: (form: Form) => PageMessages): void {
  router.post(`/apps/:app/${suffix}`, async (ctx) => {
    const session = await requireSession(scalarium, ctx);
    if (!session) return;
    const form = await readCheckedForm(scalarium, ctx, session);
    await authorizeApp(scalarium, ctx, session.principal, action, ctx.params.app);
    const app = (await requireApp(scalarium, ctx.params.app)).name;
    try {
      const notice = await run(app, form, session.principal);
      seeOther(ctx, `/apps/${app}?notice=${encodeURIComponent(notice)}`);
    } catch (error) {
      if (!(error instanceof ScalariumError)) throw error;
      await renderAppPage(scalarium, ctx, session, app, { ...keep?.(form), error: { message: error.message, hint: error.hint } });
      ctx.status = error.status;
    }
  });
}

/** A formation change from the form; names that are not plain process types never reach the core. */
function formationChange(form: Form): Record<string, number> {
  const type = form.type ?? '';
  if (!isValidProcessType(type) || type in Object.prototype) throw new ScalariumError('invalid_formation', { reason: `no process type "${type.slice(0, 40)}"` });
  const count = /^\d{1,3}$/.test(form.count ?? '') ? Number(form.count) : Number.NaN;
  return { [type]: count };
}

/** The deploy forms, like POST /api/apps/:app/deploy: an archive URL, a release, or a commit (default main). */
function deployRequest(form: Form): DeployRequest {
  if (form.archive !== undefined) return { kind: 'archive', url: form.archive.trim() };
  if (form.release !== undefined) return { kind: 'release', version: form.release };
  return { kind: 'commit', ref: (form.commit ?? '').trim() || 'main' };
}

export function appActionRoutes(scalarium: Scalarium, router: Router): void {
  post(scalarium, router, 'deploy', 'deploy', async (app, form, principal) => {
    const request = deployRequest(form);
    const release = await deployApp(scalarium, principal, app, request);
    return `Deployed v${release.version}${request.kind === 'release' ? ` (release v${String(request.version).slice(0, 10)} again)` : ''}`;
  }, (form) => ({ deployForm: { commit: form.commit === 'main' ? undefined : form.commit, archive: form.archive } }));
  post(scalarium, router, 'rollback', 'deploy', async (app, form, principal) => {
    const release = await rollback(scalarium, principal, app, form.version);
    const target = /v(\d+)$/.exec(release.description)?.[1] ?? '?';
    return `Rolled back to v${target} (now v${release.version})`;
  });
  post(scalarium, router, 'config', 'configure', async (app, form, principal) => {
    const key = (form.key ?? '').trim();
    const { release, unchanged } = await setConfig(scalarium, principal, app, { [key]: form.value ?? '' });
    if (unchanged) return `${key} already had that value: nothing changed`;
    return `Set ${key}${release ? `, restarted as v${release.version}` : ''}`;
  }, (form) => ({ configForm: { key: form.key ?? '', value: form.value ?? '' } }));
  post(scalarium, router, 'config/unset', 'configure', async (app, form, principal) => {
    const key = (form.key ?? '').trim();
    const { release, unchanged } = await setConfig(scalarium, principal, app, { [key]: null });
    if (unchanged) return `${key} was not set: nothing changed`;
    return `Unset ${key}${release ? `, restarted as v${release.version}` : ''}`;
  });
  post(scalarium, router, 'scale', 'scale', async (app, form, principal) => {
    const formation = await scale(scalarium, principal, app, formationChange(form));
    return `Scaled to ${Object.entries(formation).map(([type, n]) => `${type}=${n}`).join(' ')}`;
  });
  post(scalarium, router, 'restart', 'deploy', async (app, _form, principal) => {
    const count = await restart(scalarium, principal, app, undefined);
    return `Restarted ${count} process${count === 1 ? '' : 'es'}`;
  });
}
