// Autoscaling's own errors (the catalogue entries of server/core/errors.ts, namespaced).
import { pluginError } from '../../server/plugin-api.ts';

export const noPolicy = pluginError('autoscaling', 'no_policy', {
  status: 404, message: (p) => `${p.target} has no autoscaling policy.`, hint: () => 'scalarium autoscale lists the policies.',
});

export const noSchedule = pluginError('autoscaling', 'no_schedule', {
  status: 404, message: (p) => `${p.owner} has no schedule ${p.id}.`, hint: () => 'scalarium autoscale lists the schedules with their ids.',
});
