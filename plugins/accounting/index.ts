// Accounting: instance-seconds per cluster, role and instance type, and process-seconds per app and
// process type, exact to the moment the server learns of each start and end (state changes, not
// sampling), kept as intervals in the database that survive restarts and kill -9 (docs/accounting.md
// says how); priced per instance type and process size (operator-set, with defaults), as cost per
// app, cluster and owner for any month: GET /api/usage (JSON or CSV), `scalarium usage`, the Usage page.
import { fileURLToPath } from 'node:url';
import { STAGE, type Plugin, type Scalarium } from '../../server/plugin-api.ts';
import * as createUsage from './migrations/001-usage.ts';
import { Accountant } from './accountant.ts';
import { AccountingClock, SYSTEM_CLOCK, type ClockSources } from './clock.ts';
import { liveSubjects } from './db/live.ts';
import { IntervalStore } from './store.ts';
import { usageRoutes } from './routes.ts';
import { USAGE_PATH, usagePages } from './page.ts';

const NAME = 'accounting';
const DEFAULT_HEARTBEAT_S = 30;

/** SCALARIUM_USAGE_HEARTBEAT_SECONDS: how often open intervals are confirmed (what a crash can lose at most). */
export function heartbeatSeconds(value = process.env.SCALARIUM_USAGE_HEARTBEAT_SECONDS): number {
  if (value === undefined || value === '') return DEFAULT_HEARTBEAT_S;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 3600) throw new Error(`SCALARIUM_USAGE_HEARTBEAT_SECONDS must be a whole number of seconds from 1 to 3600, got "${value}"`);
  return n;
}

export interface AccountingOptions {
  /** The clocks it reads (tests make time jump); the system's by default. */
  clock?: ClockSources;
  heartbeatMs?: number;
  /** Told of each accountant made (tests reach it to wait for a heartbeat). */
  onAccountant?: (accountant: Accountant, scalarium: Scalarium) => void;
}

export function createAccountingPlugin(options: AccountingOptions = {}): Plugin {
  return {
    name: NAME,
    migrations: [['001-usage', createUsage]],
    async apply(scalarium) {
      const store = new IntervalStore(scalarium.db, scalarium.config.serverId);
      const accountant = new Accountant({
        store,
        clock: new AccountingClock(options.clock ?? SYSTEM_CLOCK),
        live: () => liveSubjects(scalarium.db, new Set(scalarium.hub.connectedPeers().map((p) => p.instanceId))),
        heartbeatMs: options.heartbeatMs ?? heartbeatSeconds() * 1000,
        onError: (error) => scalarium.say(`accounting: ${error.message}`),
      });
      // Before any agent can connect: what a crash left open ends at its last heartbeat.
      const recovered = await accountant.start();
      if (recovered) scalarium.say(`accounting: closed ${recovered} interval(s) at their last heartbeat (the server had stopped without closing them)`);
      options.onAccountant?.(accountant, scalarium);
      scalarium.onClose(() => accountant.close());

      // Every change of what runs asks for a pass; the pass reads what runs now.
      const pass = () => accountant.pass();
      scalarium.hooks.processChanged.tap(NAME, () => void pass());
      scalarium.hooks.instanceConnected.tapPromise(NAME, pass);
      scalarium.hooks.instanceDisconnected.tapPromise(NAME, pass);
      scalarium.hooks.deployed.tapPromise(NAME, pass);
      scalarium.hooks.deployFailed.tapPromise(NAME, pass);
      // After the rollout has stopped the app's processes.
      scalarium.hooks.undeploy.tapPromise({ name: NAME, stage: STAGE.overrides }, pass);
      scalarium.hooks.destroyed.tapPromise(NAME, pass);

      scalarium.hooks.routes.tap(NAME, (router) => usageRoutes(scalarium, router, store, accountant));
      scalarium.templates.add(NAME, fileURLToPath(new URL('./templates/', import.meta.url)));
      scalarium.hooks.pages.tap(NAME, (router) => usagePages(scalarium, router, store, accountant));
      scalarium.hooks.nav.tap(NAME, (items) => [...items, { href: USAGE_PATH, label: 'Usage' }]);
    },
  };
}

export const accountingPlugin = createAccountingPlugin();
export default accountingPlugin;
