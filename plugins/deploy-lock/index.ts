// Deploy lock: `scalarium apps:lock --reason "release freeze"` refuses pushes and deploys of new code
// to an app until `apps:unlock` (Dokku's apps:lock). Rollbacks, config changes and scaling still work:
// they are how one gets out of trouble during a freeze. A whole feature in one folder — a table of its
// own, the receive hook, API routes, a UI tab and its template, CLI commands — and the worked example
// of docs/plugins.md.
import { fileURLToPath } from 'node:url';
import type { Plugin } from '../../server/plugin-api.ts';
import { findLock } from './store.ts';
import { refusal } from './service.ts';
import { deployLockRoutes } from './routes.ts';
import { deployLockPages, pagePath } from './page.ts';
import * as createLocks from './migrations/001-deploy-locks.ts';

const NAME = 'deploy-lock';

export const deployLockPlugin: Plugin = {
  name: NAME,
  migrations: [['001-deploy-locks', createLocks]],
  apply(scalarium) {
    scalarium.hooks.receive.tapPromise(NAME, async ({ app }) => {
      const lock = await findLock(scalarium.db, app.id);
      return lock ? refusal(app.name, lock) : undefined;
    });
    scalarium.hooks.routes.tap(NAME, (router) => deployLockRoutes(scalarium, router));
    scalarium.templates.add(NAME, fileURLToPath(new URL('./templates/', import.meta.url)));
    scalarium.hooks.pages.tap(NAME, (router) => deployLockPages(scalarium, router));
    scalarium.hooks.appNav.tap(NAME, (items, { app }) => [...items, { href: pagePath(app), label: 'Deploy lock' }]);
  },
};

export default deployLockPlugin;
