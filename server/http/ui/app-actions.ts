// The app page's forms: deploy, rollback, config set/unset, scale, restart. Each is a formPost
// (form-post.ts: session, origin + CSRF, the authorize hook) that calls the shared app service, then
// redirects back (303) with a notice — or re-renders the page with the error and its status.
import type Router from '@koa/router';
import type { Scalarium } from '../../core/scalarium.ts';
import type { Action } from '../../core/types.ts';
import type { Principal } from '../../db/identity.ts';
import { ScalariumError } from '../../core/errors.ts';
import { isValidProcessType } from '../../core/names.ts';
import { isValidBranchName } from '../../core/deploy-branch.ts';
import { requireApp, restart, rollback, scale, setConfig } from '../../core/app-service.ts';
import { planDeploy, type DeployRequest } from '../../core/deploy-service.ts';
import { startLiveDeploy } from '../../deploy/live.ts';
import { formPost, withNotice, type Form } from './form-post.ts';
import { renderAppPage, type PageMessages } from './app-page.ts';

/** A notice for the app page, or a page of its own to go to. */
type Run = (app: string, form: Form, principal: Principal) => Promise<string | { location: string }>;

function post(scalarium: Scalarium, router: Router, suffix: string, action: Action, run: Run, keep?: (form: Form) => PageMessages): void {
  formPost(scalarium, router, {
    path: `/apps/:app/${suffix}`, on: 'app', action,
    async handle(ctx, session, form) {
      const app = (await requireApp(scalarium, ctx.params.app!)).name;
      const next = await run(app, form, session.principal);
      return typeof next === 'string' ? withNotice(`/apps/${app}`, next) : next.location;
    },
    rerender: (ctx, session, form, error) => renderAppPage(scalarium, ctx, session, ctx.params.app!, { ...keep?.(form), error }),
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
  return { kind: 'commit', ref: (form.commit ?? '').trim() || undefined };
}

/** What the commit field shows again after an error: what was typed, not the "latest commit" button's branch. */
function keptCommit(value: string | undefined): string | undefined {
  return value !== undefined && isValidBranchName(value) && !/^[0-9a-f]{7,40}$/.test(value) ? undefined : value;
}

export function appActionRoutes(scalarium: Scalarium, router: Router): void {
  post(scalarium, router, 'deploy', 'deploy', async (app, form, principal) => {
    // Checked now (a bad commit or URL re-renders the form); the deploy's progress has a page.
    const plan = await planDeploy(scalarium, principal, app, deployRequest(form));
    const deploy = startLiveDeploy(scalarium, { app: plan.app, what: plan.what, by: principal.user.name }, plan.run);
    return { location: `/apps/${app}/deploys/${deploy.id}` };
  }, (form) => ({ deployForm: { commit: keptCommit(form.commit), archive: form.archive } }));
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
