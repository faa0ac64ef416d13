// The composition root of the built-in features: which plugins a stock server loads, in order.
// Core (server/) never imports a plugin; the entry points (bin/scalarium-server.js, the test
// harness) hand this list to it. Deleting a plugin folder means deleting its line here.
import type { Plugin } from '../server/plugin-api.ts';
import { accessPlugin } from './access/index.ts';
import { buildpacksPlugin } from './buildpacks/index.ts';
import { procfilePlugin } from './procfile/index.ts';
import { rolloutPlugin } from './rollout/index.ts';
import { routingPlugin } from './routing/index.ts';
import { localProviderPlugin } from './provider-local/index.ts';
import { createLoggingPlugin } from './logging/index.ts';
import { timingsPlugin } from './timings/index.ts';
import { instanceAccessPlugin } from './instance-access/index.ts';
import { lifecyclePlugin } from './lifecycle/index.ts';
import { ec2ProviderPlugin } from './provider-ec2/index.ts';
import { simulatedProviderPlugin } from './provider-simulated/index.ts';
import { deployLockPlugin } from './deploy-lock/index.ts';
import { monitoringPlugin } from './monitoring/index.ts';
import { alertingPlugin } from './alerting/index.ts';
import { prometheusPlugin } from './prometheus/index.ts';
import { logDrainsPlugin } from './log-drains/index.ts';
import { notifyWebhookPlugin } from './notify-webhook/index.ts';
import { notifyEmailPlugin } from './notify-email/index.ts';
import { accountingPlugin } from './accounting/index.ts';
import { healingPlugin } from './healing/index.ts';
import { autoscalingPlugin } from './autoscaling/index.ts';

export function builtinPlugins(): Plugin[] {
  return [
    timingsPlugin, accessPlugin, createLoggingPlugin(), localProviderPlugin, ec2ProviderPlugin, simulatedProviderPlugin, buildpacksPlugin,
    procfilePlugin, routingPlugin, instanceAccessPlugin, lifecyclePlugin, rolloutPlugin, deployLockPlugin, monitoringPlugin, alertingPlugin, prometheusPlugin,
    logDrainsPlugin,
    notifyWebhookPlugin, notifyEmailPlugin, accountingPlugin, healingPlugin, autoscalingPlugin,
  ];
}
