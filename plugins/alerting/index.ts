// Alerting: rules on any metric the monitoring plugin answers (above/below a threshold for a
// duration, on an app, a process type, a cluster, a role or an instance), built-in alerts (instance
// unreachable, crash loop, deploy failed, 5xx rate), states ok → pending → firing → resolved with
// one notification per transition, a history, and deliveries to notifiers (webhook, email, … —
// plugins behind the notifierKinds hook) retried with backoff.
import { fileURLToPath } from 'node:url';
import type { Plugin } from '../../server/plugin-api.ts';
import * as createAlerting from './migrations/001-alerting.ts';
import { BUILTINS } from './builtins.ts';
import { Dispatcher } from './deliveries.ts';
import { AlertEngine } from './engine.ts';
import { alertingRoutes } from './routes.ts';
import { alertingPages, appAlertsPath, clusterAlertsPath, serverAlertsPath } from './page.ts';
import { alertingSettings } from './settings.ts';
import { deleteScope, ensureBuiltin } from './store.ts';

const NAME = 'alerting';

export const alertingPlugin: Plugin = {
  name: NAME,
  migrations: [['001-alerting', createAlerting]],
  async apply(scalarium) {
    const settings = alertingSettings();
    const dispatcher = new Dispatcher(scalarium, settings, () => scalarium.baseUrl);
    const engine = new AlertEngine(scalarium, dispatcher, settings.windowMs);
    const say = (what: string) => (error: Error) => scalarium.say(`alerting: ${what}: ${error.message}`);

    scalarium.hooks.deployed.tapPromise(NAME, (outcome) => engine.deployOutcome(outcome.app.name, undefined).catch(say('deploy outcome')));
    scalarium.hooks.deployFailed.tapPromise(NAME, (outcome) => engine.deployOutcome(outcome.app.name, outcome.error ?? new Error('unknown error')).catch(say('deploy outcome')));
    scalarium.hooks.processChanged.tap(NAME, (change) => {
      if (change.state === 'crashed' || change.state === 'failed') void engine.processCrashed(change.app, change.type, change.reason).catch(say('crash'));
    });
    scalarium.hooks.instanceDisconnected.tapPromise(NAME, async ({ instance, cluster }) => engine.instanceGone(instance.id, cluster.name));
    // Not awaited: the engine's one chain must not hold up the instance's setup (a hundred
    // replacements coming back at once queued behind it: bench/healing-simulated.ts); close waits for it.
    scalarium.hooks.instanceConnected.tapPromise(NAME, async ({ instance, cluster }) => void engine.instanceBack(instance.id, cluster.name).catch(say('instance back')));
    scalarium.hooks.destroyed.tapPromise(NAME, async ({ kind, name }) => {
      engine.forget(kind, name);
      // The app is gone either way: a failure here must not fail its destroy.
      await deleteScope(scalarium.db, kind, name).catch(say(`forgetting ${kind} ${name}`));
    });

    // Migrations have run when apply is called: the built-ins can be made now (once; a restart keeps them as they are).
    for (const builtin of BUILTINS) await ensureBuiltin(scalarium.db, builtin);
    const timer = setInterval(() => void engine.tick().catch(say('evaluation')), settings.intervalMs);
    timer.unref();
    await dispatcher.start();
    scalarium.onClose(async () => {
      clearInterval(timer);
      await engine.settled();
      await dispatcher.close();
    });

    scalarium.hooks.routes.tap(NAME, (router) => alertingRoutes(scalarium, router, settings.timeoutMs));
    scalarium.templates.add(NAME, fileURLToPath(new URL('./templates/', import.meta.url)));
    scalarium.hooks.pages.tap(NAME, (router) => alertingPages(scalarium, router));
    scalarium.hooks.nav.tap(NAME, (items) => [...items, { href: serverAlertsPath, label: 'Alerts' }]);
    scalarium.hooks.appNav.tap(NAME, (items, { app }) => [...items, { href: appAlertsPath(app), label: 'Alerts' }]);
    scalarium.hooks.clusterNav.tap(NAME, (items, { cluster }) => [...items, { href: clusterAlertsPath(cluster), label: 'Alerts' }]);
  },
};

export default alertingPlugin;
