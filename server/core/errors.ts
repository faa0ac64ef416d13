// The error catalogue: every error a user can meet has a stable code, an HTTP status, a message and
// a hint that says what to do. The API returns them as JSON, the CLI prints message and hint, the
// git path prints them as "remote:" lines. Unknown errors become `internal` and never leak details.

export type Params = Record<string, string | number | undefined>;

export interface ErrorEntry {
  status: number;
  message: (p: Params) => string;
  hint?: (p: Params) => string;
}

const q = (v: unknown) => JSON.stringify(typeof v === 'string' || typeof v === 'number' ? String(v) : '').slice(0, 80);

export const catalogue = {
  invalid_name: {
    status: 400,
    message: (p) => `${q(p.value)} is not a valid ${p.kind ?? ''} name.`.replace('  ', ' '),
    hint: () => 'Use 1-30 lowercase letters, digits and dashes, starting with a letter (e.g. "my-app").',
  },
  invalid_body: { status: 400, message: (p) => `Invalid request: ${p.reason ?? 'malformed body'}.` },
  /** A query parameter (e.g. ?since=) a route cannot use; `hint` says what it takes. */
  invalid_query: {
    status: 400,
    message: (p) => `${q(p.value)} is not a valid ${p.name}${p.reason ? `: ${p.reason}` : ''}.`,
    hint: (p) => String(p.hint ?? ''),
  },
  invalid_config_key: {
    status: 400,
    message: (p) => `${q(p.key)} is not a valid config var name.`,
    hint: () => 'Use letters, digits and underscores, not starting with a digit (e.g. DATABASE_URL).',
  },
  invalid_config_value: { status: 400, message: (p) => `The value of ${p.key} is too long or contains a NUL byte.` },
  unknown_process_type: {
    status: 400,
    message: (p) => `App ${p.app} has no process type ${q(p.type)}.`,
    hint: (p) => `Its current release runs ${p.types || 'no process types'}; \`scalarium ps\` lists the processes.`,
  },
  invalid_formation: {
    status: 400,
    message: (p) => `Invalid formation: ${p.reason}.`,
    hint: () => 'Use TYPE=COUNT with a process type of the current release and 0-100 processes, e.g. web=3.',
  },
  invalid_version: { status: 400, message: (p) => `${q(p.value)} is not a release version.`, hint: () => 'Use a number like 3 or v3.' },
  weak_password: { status: 400, message: (p) => `Choose another password: ${p.reason}.` },
  invalid_role: { status: 400, message: (p) => `${q(p.value)} is not a role.`, hint: () => 'Use viewer, deployer or manager.' },
  invalid_key: { status: 400, message: (p) => `Not an SSH public key: ${p.reason}.`, hint: () => 'Give the contents of a .pub file, e.g. ~/.ssh/id_ed25519.pub.' },
  invalid_expiry: { status: 400, message: (p) => `${q(p.value)} is not an expiry.`, hint: () => 'Use a number of days or hours (90d, 12h) or an ISO date in the future, at most 10 years (3650d) ahead.' },
  invite_invalid: { status: 404, message: () => 'This invite link is not valid any more.', hint: () => 'Ask an admin for a new one.' },
  user_not_found: { status: 404, message: (p) => `No user named ${q(p.user)}.` },
  token_not_found: { status: 404, message: (p) => `You have no token named ${q(p.name)}.` },
  key_not_found: { status: 404, message: (p) => `You have no SSH key ${q(p.fingerprint)}.` },
  cluster_not_found: { status: 404, message: (p) => `No cluster named ${q(p.cluster)}.` },
  user_exists: { status: 409, message: (p) => `A user named ${q(p.user)} already exists.` },
  token_exists: { status: 409, message: (p) => `You already have a token named ${q(p.name)}.`, hint: () => 'Revoke it first or choose another name.' },
  key_exists: { status: 409, message: () => 'You have added this SSH key already.' },
  last_admin: { status: 409, message: () => 'That would leave no enabled admin.' },
  too_many_attempts: { status: 429, message: () => 'Too many failed attempts. Try again later.' },
  unauthenticated: {
    status: 401,
    message: () => 'Authentication required: no valid API token was given.',
    hint: () => 'Log in with `scalarium login --server URL --token TOKEN`.',
  },
  forbidden: { status: 403, message: (p) => `You are not allowed to do that${p.reason ? `: ${p.reason}` : ''}.` },
  not_found: { status: 404, message: () => 'Not found.' },
  app_not_found: { status: 404, message: (p) => `No app named ${q(p.app)}.`, hint: () => 'Run `scalarium apps` to list apps.' },
  release_not_found: { status: 404, message: (p) => `App ${p.app} has no release v${p.version}.`, hint: () => 'Run `scalarium releases` to list releases.' },
  build_not_found: { status: 404, message: (p) => `No build ${q(p.id)} for this app.` },
  deploy_not_found: {
    status: 404,
    message: (p) => `No deploy ${q(p.id)} of this app on this server.`,
    hint: () => 'A deploy can be followed while it runs and for 30 minutes after it ended; `scalarium deploys` lists them.',
  },
  app_exists: { status: 409, message: (p) => `An app named ${q(p.app)} already exists.`, hint: () => 'Choose another name.' },
  app_locked: {
    status: 409,
    message: (p) => `App ${p.app} is busy: ${p.holder ?? 'another operation'} is in progress.`,
    hint: () => 'Wait for it to finish and try again.',
  },
  deploy_refused: {
    status: 409,
    message: (p) => `Deploy refused: ${p.reason}`,
  },
  no_release: {
    status: 409,
    message: (p) => `App ${p.app} has no release yet.`,
    hint: () => 'Push code first: git push scalarium main',
  },
  body_too_large: { status: 413, message: () => 'Request body too large.' },
  push_too_large: {
    status: 413,
    message: (p) => `Push rejected: it is larger than this server's limit of ${p.limit} MB. Nothing was stored.`,
    hint: () => 'Keep build output and large binaries out of the repository, or ask the operator to raise SCALARIUM_MAX_PUSH_MB.',
  },
  isolation_unavailable: {
    status: 503,
    message: (p) => `This server cannot run apps or builds: ${p.reason}`,
    hint: () => 'The operator can see the reason at start-up and on the Status page (docs/security.md, "Tenant isolation").',
  },
  build_failed: { status: 422, message: (p) => `Build failed: ${p.reason}` },
  deploy_failed: { status: 422, message: (p) => `Deploy failed: ${p.reason}` },
  no_capacity: { status: 503, message: (p) => `No instance can run processes: ${p.reason}` },
  internal: { status: 500, message: () => 'Internal server error.' },
} satisfies Record<string, ErrorEntry>;

export type ErrorCode = keyof typeof catalogue;

/** Core's codes, and those plugins define with pluginError (e.g. "monitoring.unknown_metric"). */
export type AnyErrorCode = ErrorCode | `${string}.${string}`;

export class ScalariumError extends Error {
  readonly status: number;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, params?: Params);
  constructor(code: AnyErrorCode, params: Params, entry: ErrorEntry);
  constructor(readonly code: AnyErrorCode, readonly params: Params = {}, entry: ErrorEntry = catalogue[code as ErrorCode]) {
    super(entry.message(params));
    this.status = entry.status;
    this.hint = entry.hint?.(params) || undefined;
  }

  toJSON(): { code: string; message: string; hint?: string } {
    return { code: this.code, message: this.message, ...(this.hint ? { hint: this.hint } : {}) };
  }
}

const pluginCodes = new Set<string>();

/**
 * An error of a plugin's own, with a stable code under the plugin's name, a status, a message and a
 * hint that says what to do: thrown like core's (`throw unknownMetric({ metric })`), it becomes the
 * same JSON, CLI message and UI page.
 */
export function pluginError(plugin: string, name: string, entry: ErrorEntry): (params?: Params) => ScalariumError {
  const code = `${plugin}.${name}` as const;
  if (!/^[a-z0-9-]+\.[a-z0-9_]+$/.test(code)) throw new Error(`error code ${code} must be <plugin>.<name> in a-z, 0-9, - and _`);
  if (pluginCodes.has(code)) throw new Error(`error code ${code} is defined twice`);
  pluginCodes.add(code);
  return (params = {}) => new ScalariumError(code, params, entry);
}

/** Any thrown value as a catalogue error; unknown errors become `internal`. */
export function asScalariumError(error: unknown): ScalariumError {
  return error instanceof ScalariumError ? error : new ScalariumError('internal');
}
