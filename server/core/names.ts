// The one allow-list for every name a user chooses (apps, clusters, roles, users, process types).
// Names end up in paths, URLs, host names, process titles and log lines, so they are deliberately
// boring: lowercase ASCII, digits and inner dashes, starting with a letter.
import { ScalariumError } from './errors.ts';

const NAME = /^[a-z](?:[a-z0-9-]{0,28}[a-z0-9])?$/;
const PROCESS_TYPE = /^[a-z][a-z0-9_-]{0,29}$/;
const CONFIG_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** Untrusted input for messages: strings shortened, anything else only named by its type. */
export function describeValue(value: unknown): string {
  return typeof value === 'string' ? value.slice(0, 100) : typeof value === 'number' || typeof value === 'boolean' ? String(value) : `(${value === null ? 'null' : typeof value})`;
}

export type NameKind = 'app' | 'cluster' | 'role' | 'user' | 'token';

export function isValidName(value: unknown): value is string {
  return typeof value === 'string' && NAME.test(value) && !value.includes('--');
}

export function assertName(kind: NameKind, value: unknown): string {
  if (!isValidName(value)) {
    throw new ScalariumError('invalid_name', { kind, value: describeValue(value) });
  }
  return value;
}

export function isValidProcessType(value: unknown): value is string {
  return typeof value === 'string' && PROCESS_TYPE.test(value);
}

export function isValidConfigKey(value: unknown): value is string {
  // `__proto__` would vanish from (or poison) the plain objects config travels in.
  return typeof value === 'string' && CONFIG_KEY.test(value) && value !== '__proto__';
}
