// The ec2 provider's view of a cluster's settings: the stored ClusterSettings (region, endpoint,
// image…, credentials unsealed by server/db/clusters.ts) plus the provider's own knobs, with their
// defaults filled in.
import crypto from 'node:crypto';
import { type Db, type Cluster, getClusterSettings, setClusterSettings, type ClusterSettings } from '../../server/plugin-api.ts';
import { retryPolicy, type RetryPolicy } from './retry.ts';

export interface Ec2Settings extends ClusterSettings {
  /** How long an instance has, from its launch, to get its agent connected (default 5 min). */
  bootTimeoutMs?: number;
  /** How long a tagged instance no row wants may live before it is terminated (default 60 s). */
  orphanGraceMs?: number;
  /** Leave instances whose agent never connected running (for debugging) instead of terminating them. */
  keepFailedInstances?: boolean;
  securityGroupIds?: string[];
  /**
   * Leave the instance metadata service on after boot (IMDSv2 only, hop limit 1). Off by default:
   * apps on the instance must not reach the instance's role credentials.
   */
  keepMetadata?: boolean;
  /** The first pause after a role's launch or boot failed; it doubles per failure in a row, to 15 min (default 30 s). */
  launchBackoffMs?: number;
  /** The runaway guard: launches per cluster per hour (default twice the roles' total, at least 50). */
  maxLaunchesPerHour?: number;
  /** Backoff of the one retry layer (attempts, baseMs, capMs). */
  retry?: Partial<RetryPolicy>;
  /**
   * A random id tagged on everything this cluster launches, so that two installations (or a
   * re-created cluster) with the same cluster name never take each other's instances for their own.
   * Generated and stored on first use.
   */
  clusterUid?: string;
}

export interface ResolvedEc2Settings extends Ec2Settings {
  instanceType: string;
  bootTimeoutMs: number;
  orphanGraceMs: number;
  launchBackoffMs: number;
  keepFailedInstances: boolean;
  retry: RetryPolicy;
  clusterUid: string;
}

export const DEFAULTS = {
  instanceType: 't3.micro',
  bootTimeoutMs: 5 * 60_000,
  orphanGraceMs: 60_000,
  launchBackoffMs: 30_000,
} as const;

const UID = /^[A-Za-z0-9_.:-]{1,64}$/;

function positive(value: unknown, fallback: number, name: string): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new Error(`cluster setting ${name} must be a non-negative number of milliseconds`);
  return value;
}

function count(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw new Error(`cluster setting ${name} must be a whole number of at least 1`);
  return value;
}

export function resolveSettings(settings: Ec2Settings & { clusterUid: string }): ResolvedEc2Settings {
  if (!UID.test(settings.clusterUid)) throw new Error('cluster setting clusterUid must be 1-64 characters of A-Z a-z 0-9 _ . : -');
  return {
    ...settings,
    instanceType: settings.instanceType || DEFAULTS.instanceType,
    bootTimeoutMs: positive(settings.bootTimeoutMs, DEFAULTS.bootTimeoutMs, 'bootTimeoutMs'),
    orphanGraceMs: positive(settings.orphanGraceMs, DEFAULTS.orphanGraceMs, 'orphanGraceMs'),
    launchBackoffMs: positive(settings.launchBackoffMs, DEFAULTS.launchBackoffMs, 'launchBackoffMs'),
    ...(settings.maxLaunchesPerHour === undefined ? {} : { maxLaunchesPerHour: count(settings.maxLaunchesPerHour, 'maxLaunchesPerHour') }),
    keepFailedInstances: settings.keepFailedInstances === true,
    retry: retryPolicy(settings.retry),
  };
}

/** Reads a cluster's settings; gives the cluster its uid (stored) the first time. */
export async function loadSettings(db: Db, cluster: Pick<Cluster, 'id'>): Promise<ResolvedEc2Settings> {
  const settings = (await getClusterSettings(db, cluster)) as Ec2Settings;
  if (!settings.clusterUid) {
    settings.clusterUid = crypto.randomBytes(8).toString('hex');
    await setClusterSettings(db, cluster, settings);
  }
  return resolveSettings(settings as Ec2Settings & { clusterUid: string });
}
