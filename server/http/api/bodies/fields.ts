// Fields that more than one body has: names, flags, whole numbers, a release version.
import { z } from 'zod';
import { ScalariumError } from '../../../core/errors.ts';
import { assertName, describeValue, type NameKind } from '../../../core/names.ts';
import { parsedBy } from './parse.ts';

/** readJson refuses anything but an object in these words; the schemas say the same to other callers. */
export const OBJECT_BODY = { error: 'the body must be a JSON object' };

/** A name people choose, checked by the one allow-list (names.ts): refused as invalid_name. */
export const nameOf = (kind: NameKind) => parsedBy<string, string>((value) => assertName(kind, value));

/** Only `true` turns a flag on; anything else is off and no error (so "true" makes nobody an admin). */
export const flag = z.boolean().catch(false);

/** A record's key, or an object's field, that an issue is about: the last step of its path. */
export const keyOf = (issue: { path?: PropertyKey[] }) => String(issue.path?.at(-1) ?? '');

/** A whole number from 0 to `max`; `message` gets the key (a process type, a role) and says what to do. */
export function wholeNumber(max: number, message: (key: string) => string) {
  const error = (issue: { path?: PropertyKey[] }) => message(keyOf(issue));
  return z.int({ error }).min(0, { error }).max(max, { error });
}

/**
 * A release as clients name it: 3, "3", "v3", or null (or "") for the one before the live one. Its
 * form is checked where the release is looked up (parseVersion, which the admin UI's forms reach
 * too); here only what is no version at all, a list or an object, is refused.
 */
export const releaseVersion = parsedBy<number | string | null, number | string | null>((value) => {
  if (value === null || typeof value === 'number' || typeof value === 'string') return value;
  throw new ScalariumError('invalid_version', { value: describeValue(value) });
});
