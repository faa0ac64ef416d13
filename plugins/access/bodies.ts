// The bodies of the access API (docs/api.md, "Access control"): POST /api/users, /api/access,
// /api/access/revoke, /api/tokens and /api/keys. The admin UI's forms (ui/) reach the same service
// functions, which parse what they are given with these schemas, so both say the same things.
// Whether a user, app or cluster exists is the service's to look up.
import { z } from 'zod';
import { OBJECT_BODY, ROLES, ScalariumError, describeValue, flag, nameOf, parsedBy, type Role } from '../../server/plugin-api.ts';
import { parsePublicKey } from './db/ssh-keys.ts';

const EMAIL = 'email must look like name@example.org';

/** Empty or null is no email address (the users form always sends the field). */
const email = z.string({ error: EMAIL })
  .refine((value) => value === '' || (value.length <= 254 && /^[^\s@<>"'`]+@[^\s@<>"'`]+\.[^\s@<>"'`]+$/.test(value)), { error: EMAIL });

export const newUserBody = z.object({
  name: nameOf('user'),
  email: email.nullish(),
  admin: flag.optional(),
}, OBJECT_BODY);

const role = parsedBy<Role, Role>((value) => {
  if (typeof value === 'string' && (ROLES as readonly string[]).includes(value)) return value as Role;
  throw new ScalariumError('invalid_role', { value: describeValue(value) });
});

const scopeFields = { app: nameOf('app').optional(), cluster: nameOf('cluster').optional() };
const SCOPE = 'give exactly one of "app" or "cluster"';
const oneScope = (body: { app?: string; cluster?: string }) => (body.app === undefined) !== (body.cluster === undefined);

/** The scope a grant or a token is on, from a parsed body that names exactly one. */
export function scopeOf(body: { app?: string; cluster?: string }): { kind: 'app' | 'cluster'; name: string } {
  return body.app !== undefined ? { kind: 'app', name: body.app } : { kind: 'cluster', name: body.cluster ?? '' };
}

/** SSH access (and sudo with it) is to a cluster's instances: an app has none. */
export const grantBody = z.object({ user: nameOf('user'), ...scopeFields, role, ssh: flag.optional(), sudo: flag.optional() }, OBJECT_BODY)
  .refine(oneScope, { error: SCOPE })
  .refine((body) => !(body.ssh || body.sudo) || body.cluster !== undefined, { error: 'ssh and sudo are granted on a cluster (its instances)' })
  .refine((body) => !body.sudo || body.ssh, { error: 'sudo needs ssh' });

export const revokeBody = z.object({ user: nameOf('user'), ...scopeFields }, OBJECT_BODY).refine(oneScope, { error: SCOPE });

/** "90d", "12h" or an ISO date, in the future and at most 10 years ahead: the moment, as an ISO date. */
function expiry(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new ScalariumError('invalid_expiry', { value: describeValue(value) });
  const relative = /^(\d{1,4})([dh])$/.exec(value);
  const at = relative ? Date.now() + Number(relative[1]) * (relative[2] === 'd' ? 86_400_000 : 3_600_000) : Date.parse(value);
  if (!Number.isFinite(at) || at <= Date.now() || at > Date.now() + 3650 * 86_400_000) throw new ScalariumError('invalid_expiry', { value });
  return new Date(at).toISOString();
}

/** No scope: all the apps of its user; no role: its user's roles; no expiry: never. */
export const tokenBody = z.object({
  name: nameOf('token'),
  ...scopeFields,
  role: role.nullish(),
  expires: parsedBy<string | null, string | undefined>(expiry).optional(),
}, OBJECT_BODY).refine((body) => body.app === undefined || body.cluster === undefined, { error: SCOPE });

/** The key line of a .pub file; the answer is the key as stored (type, data, comment, fingerprint). */
export const keyBody = z.object({
  publicKey: parsedBy<string, ReturnType<typeof parsePublicKey>>((value) => {
    try {
      return parsePublicKey(value);
    } catch (error) {
      throw new ScalariumError('invalid_key', { reason: (error as Error).message });
    }
  }),
}, OBJECT_BODY);
