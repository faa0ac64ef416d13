// The monitoring plugin's migrations, in order: the plugin's list, and what its tests and the
// benchmark migrate a scratch database with.
import type { Migration } from '../../../server/plugin-api.ts';
import * as createMetrics from './001-metrics.ts';
import * as quantiles from './002-quantiles.ts';

export const MONITORING_MIGRATIONS: Array<[string, Migration]> = [['001-metrics', createMetrics], ['002-quantiles', quantiles]];
