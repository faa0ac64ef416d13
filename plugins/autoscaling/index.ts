// Autoscaling: a cluster's roles and an app's process types scale by themselves — on load (step
// thresholds like OpsWorks, or target tracking like Kubernetes' HPA) and on cron schedules — within
// min and max, each decision written with its reason. Roles are decided on the reconcile hook, so
// the provider acts at once. Its own tables, API, Autoscaling tabs and CLI. See docs/autoscaling.md.
import { fileURLToPath } from 'node:url';
import type { Plugin } from '../../server/plugin-api.ts';
import { Scaler } from './scaler.ts';
import { autoscalingRoutes } from './routes.ts';
import { appAutoscalePath, autoscalingPages, clusterAutoscalePath } from './page.ts';
import * as createAutoscaling from './migrations/001-autoscaling.ts';

const NAME = 'autoscaling';
const DEFAULT_INTERVAL_S = 10;

function intervalMs(value: string | undefined): number {
  const seconds = value === undefined || value === '' ? DEFAULT_INTERVAL_S : Number(value);
  if (!Number.isFinite(seconds) || seconds < 0.2 || seconds > 300) throw new Error(`SCALARIUM_AUTOSCALE_INTERVAL must be seconds from 0.2 to 300, not ${JSON.stringify(value)}`);
  return seconds * 1000;
}

export const autoscalingPlugin: Plugin = {
  name: NAME,
  migrations: [['001-autoscaling', createAutoscaling]],
  apply(scalarium) {
    const scaler = new Scaler(scalarium, intervalMs(process.env.SCALARIUM_AUTOSCALE_INTERVAL));
    scalarium.hooks.reconcile.tapPromise(NAME, ({ cluster }) => scaler.onReconcile(cluster));
    scalarium.hooks.routes.tap(NAME, (router) => autoscalingRoutes(scalarium, scaler, router));
    scalarium.templates.add(NAME, fileURLToPath(new URL('./templates/', import.meta.url)));
    scalarium.hooks.pages.tap(NAME, (router) => autoscalingPages(scalarium, scaler, router));
    scalarium.hooks.clusterNav.tap(NAME, (items, { cluster }) => [...items, { href: clusterAutoscalePath(cluster), label: 'Autoscaling' }]);
    scalarium.hooks.appNav.tap(NAME, (items, { app }) => [...items, { href: appAutoscalePath(app), label: 'Autoscaling' }]);
    scaler.start();
    scalarium.onClose(() => scaler.close());
  },
};

export default autoscalingPlugin;
