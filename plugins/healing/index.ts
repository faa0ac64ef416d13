// Healing: instances that go silent are replaced, on the reconcile hook, for every provider — after
// a grace period, never in a loop, and never all at once when the whole cluster goes quiet (that is
// the server's network, most likely). Its own tables, API, Healing tab and CLI. See docs/healing.md.
import { fileURLToPath } from 'node:url';
import type { Plugin } from '../../server/plugin-api.ts';
import { Healer } from './healer.ts';
import { healingRoutes } from './routes.ts';
import { healingPages, healingPath } from './page.ts';
import * as createHealing from './migrations/001-healing.ts';

const NAME = 'healing';

export const healingPlugin: Plugin = {
  name: NAME,
  migrations: [['001-healing', createHealing]],
  apply(scalarium) {
    const healer = new Healer(scalarium);
    scalarium.hooks.reconcile.tapPromise(NAME, ({ cluster }) => healer.heal(cluster));
    scalarium.hooks.instanceDisconnected.tapPromise(NAME, async ({ instance }) => healer.disconnected(instance.id));
    scalarium.hooks.routes.tap(NAME, (router) => healingRoutes(scalarium, healer, router));
    scalarium.templates.add(NAME, fileURLToPath(new URL('./templates/', import.meta.url)));
    scalarium.hooks.pages.tap(NAME, (router) => healingPages(scalarium, healer, router));
    scalarium.hooks.clusterNav.tap(NAME, (items, { cluster }) => [...items, { href: healingPath(cluster), label: 'Healing' }]);
    healer.start();
    scalarium.onClose(() => healer.close());
  },
};

export default healingPlugin;
