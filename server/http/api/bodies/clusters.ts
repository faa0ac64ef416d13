// POST /api/clusters and PATCH /api/clusters/:cluster/roles. Which providers are loaded, whether the
// name is taken and what a provider needs (ec2: a region and an image) are cluster-service.ts's.
import { z } from 'zod';
import { OBJECT_BODY, flag, nameOf, wholeNumber } from './fields.ts';

export const MAX_INSTANCES_PER_ROLE = 100;

/** { "app": 2, "router": 1 }: role names are names (invalid_name), counts 0 to 100. */
export const roleCountsBody = z.record(
  nameOf('role'),
  wholeNumber(MAX_INSTANCES_PER_ROLE, (role) => `${role} must be a whole number of instances from 0 to ${MAX_INSTANCES_PER_ROLE}`),
  { error: 'roles must be {"app": 2, "router": 1}' },
);

/** A setting that ends up in provider calls and user-data: one short word. */
function text(key: string) {
  const error = `${key} must be a short string without spaces`;
  return z.string({ error }).max(255, { error }).regex(/^[^\s\0]*$/, { error });
}

/** Empty or null is "not set" (the UI's form sends every field). */
const notSet = (value: string | null | undefined) => value || undefined;
const word = (key: string) => text(key).nullish().transform(notSet);
const url = (key: string) => text(key).refine((value) => value === '' || /^https?:\/\//.test(value), { error: `${key} must be an http(s) URL` }).nullish().transform(notSet);

const milliseconds = (key: string) => {
  const error = `${key} must be milliseconds between 1000 and 86400000`;
  return z.int({ error }).min(1000, { error }).max(86_400_000, { error }).optional();
};

const GROUPS = 'securityGroupIds must be a list of sg-… ids';
const CREDENTIALS = 'credentials need accessKeyId and secretAccessKey';

/** Settings the server keeps for itself: never taken from a request. */
const SERVER_OWNED = new Set(['retry', 'clusterUid']);
const MAX_PROVIDER_SETTINGS = 32;

/**
 * Keys core does not know are a provider's own (the simulated provider's bootMs, failureRate…):
 * kept when they are numbers, flags or short words, for the provider's checkSettings to judge;
 * anything else, and the server's own settings, are left out.
 */
function providerOwn<T extends Record<string, unknown>>(parsed: T): T {
  const out: Record<string, unknown> = {};
  let extras = 0;
  for (const [key, value] of Object.entries(parsed)) {
    if (SERVER_OWNED.has(key)) continue;
    if (KNOWN.has(key)) {
      out[key] = value;
      continue;
    }
    const scalar = (typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean' || (typeof value === 'string' && value.length <= 255 && !/[\s\0]/.test(value));
    if (scalar && /^[A-Za-z][A-Za-z0-9]{0,39}$/.test(key) && extras++ < MAX_PROVIDER_SETTINGS) out[key] = value;
  }
  return out as T;
}

/** The settings people may give (others, like retry timings, are the server's own and left out). */
const settings = z.object({
  region: word('region'),
  endpoint: url('endpoint'),
  image: word('image'),
  instanceType: word('instanceType'),
  subnet: word('subnet'),
  keyPair: word('keyPair'),
  serverUrl: url('serverUrl'),
  spot: flag.optional(),
  keepFailedInstances: flag.optional(),
  keepMetadata: flag.optional(),
  elasticIpForRouters: flag.optional(),
  bootTimeoutMs: milliseconds('bootTimeoutMs'),
  orphanGraceMs: milliseconds('orphanGraceMs'),
  securityGroupIds: z.array(z.string({ error: GROUPS }).regex(/^sg-[0-9a-z]{1,40}$/, { error: GROUPS }), { error: GROUPS }).max(10, { error: GROUPS }).optional(),
  credentials: z.object({
    accessKeyId: z.string({ error: CREDENTIALS }),
    secretAccessKey: z.string({ error: CREDENTIALS }),
    // Only a string is a session token; anything else is left out, as it always was.
    sessionToken: z.string().optional().catch(undefined),
  }, { error: CREDENTIALS }).nullish().transform((credentials) => credentials ?? undefined),
}, { error: 'settings must be an object such as {"region": "eu-central-1", "image": "ami-…"}' }).loose().transform(providerOwn);

const KNOWN = new Set(Object.keys(settings.in.shape));

export const newClusterBody = z.object({
  name: nameOf('cluster'),
  // Left out (or not a string): the default cluster's provider (createClusterFor).
  provider: z.string().optional().catch(undefined),
  settings: settings.nullish(),
  /** Left out (or null): one app instance and one router. */
  roles: roleCountsBody.nullish(),
}, OBJECT_BODY);
