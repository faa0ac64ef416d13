// Log drains: every line of an app (its processes, the router, Scalarium's own lines that reach
// hooks.log) is also sent to the drains of the app and of its cluster — syslog over TCP or TLS
// (RFC 5424, octet-counted) or HTTPS (batched POSTs of logplex frames or JSON lines), as Heroku's
// drains do. Each drain has its own bounded buffer and sender: a slow or dead drain drops its own
// oldest messages (counted, and said in a log line) and never slows the app, the router or other
// drains. `scalarium drains:add URL`, the API under /api/apps/:app/drains and
// /api/clusters/:cluster/drains, and a Drains tab; docs/log-drains.md.
import { fileURLToPath } from 'node:url';
import type { Plugin } from '../../server/plugin-api.ts';
import * as createDrains from './migrations/001-log-drains.ts';
import { DrainDirectory } from './directory.ts';
import { drainSettings } from './settings.ts';
import { allDrains } from './store.ts';
import { drainRoutes } from './routes.ts';
import { drainsPagePath, drainsPages } from './page.ts';

const NAME = 'log-drains';

export const logDrainsPlugin: Plugin = {
  name: NAME,
  migrations: [['001-log-drains', createDrains]],
  async apply(scalarium) {
    // A wrong setting stops the server at start-up with its name, not a drain later.
    const directory = new DrainDirectory(scalarium, drainSettings());
    for (const row of await allDrains(scalarium.db)) directory.start(row);
    scalarium.onClose(() => directory.close());
    scalarium.hooks.log.tap(NAME, (line) => directory.dispatch(line));
    scalarium.hooks.destroyed.tapPromise(NAME, async (gone) => directory.forget(gone.kind, gone.name));

    const drains = { scalarium, directory };
    scalarium.hooks.routes.tap(NAME, (router) => drainRoutes(drains, router));
    scalarium.templates.add(NAME, fileURLToPath(new URL('./templates/', import.meta.url)));
    scalarium.hooks.pages.tap(NAME, (router) => drainsPages(drains, router));
    scalarium.hooks.appNav.tap(NAME, (items, { app }) => [...items, { href: drainsPagePath('app', app), label: 'Drains' }]);
    scalarium.hooks.clusterNav.tap(NAME, (items, { cluster }) => [...items, { href: drainsPagePath('cluster', cluster), label: 'Drains' }]);
  },
};

export default logDrainsPlugin;
