// Reading a request body through its zod schema (the bodies/*.ts beside this file, and a plugin's own
// bodies.ts). A schema says in its own words what is wrong with a field; parseBody turns the first
// thing wrong into the catalogue error people see: `invalid_body` with that reason, or the error a
// field's check names for itself (`invalid_name`, `invalid_role`, `invalid_config_key`, …), so that the
// codes and sentences of the API stay what they were before the schemas.
import { z } from 'zod';
import { ScalariumError } from '../../../core/errors.ts';

/** The catalogue errors whose message is "…: <reason>"; a schema's messages are such reasons. */
export type ReasonCode = 'invalid_body' | 'invalid_formation';

/** A refusal with a catalogue error of its own; it gets the refused field's name (a record's key). */
export type Refusal = (field: string) => ScalariumError;

// Where a refusal travels: in the params of a custom issue, which zod keeps as they are.
const REFUSAL = 'scalariumRefusal';

/** Params for `z.custom` and `.refine`: refused with `refusal`'s error instead of invalid_body. */
export function refusedAs(refusal: Refusal): { params: Record<string, Refusal> } {
  return { params: { [REFUSAL]: refusal } };
}

/**
 * A field checked and converted by one of core's parsers, which throw their own catalogue errors
 * (assertName, parsePublicKey…): the parser sees the raw value, and its error is the answer. `I` is
 * what a client sends (the CLI's type), `O` what the handler gets.
 */
export function parsedBy<I, O>(parse: (value: unknown) => O) {
  return z.custom<I>().transform((value, ctx): O => {
    try {
      return parse(value);
    } catch (error) {
      if (!(error instanceof ScalariumError)) throw error;
      ctx.issues.push({ code: 'custom', input: value, message: error.message, ...refusedAs(() => error) });
      return z.NEVER;
    }
  });
}

/** The field an issue is about, for messages: "web", "settings.region"; "" for the body itself. */
export function fieldOf(path: readonly PropertyKey[] | undefined): string {
  return (path ?? []).map(String).join('.');
}

function refusalOf(issue: z.core.$ZodIssue): Refusal | undefined {
  const refusal: unknown = issue.code === 'custom' ? issue.params?.[REFUSAL] : undefined;
  return typeof refusal === 'function' ? (refusal as Refusal) : undefined;
}

/** The catalogue error for one issue. A record's key is checked apart from its value: its issue is inside. */
function errorOf(issue: z.core.$ZodIssue, code: ReasonCode): ScalariumError {
  if (issue.code === 'invalid_key' && issue.issues[0]) {
    const key = String(issue.path.at(-1) ?? '');
    const inner = issue.issues[0];
    return refusalOf(inner)?.(key) ?? new ScalariumError(code, { reason: inner.message });
  }
  return refusalOf(issue)?.(fieldOf(issue.path)) ?? new ScalariumError(code, { reason: issue.message });
}

/**
 * Only for a check that forgot its own message: zod's default sentence would not name the field.
 * Every schema here has messages of its own (bodies.test.ts holds them to their words).
 */
const unexplained = (issue: { path?: PropertyKey[] }) => `${fieldOf(issue.path) || 'the body'} is not valid`;

/**
 * The body as its schema's typed value, or the catalogue error for the first thing wrong with it.
 * A key the schema does not know (a strict schema: PATCH /api/apps/:app) is named before anything
 * else, since it is most often a misspelling of the field that is "missing".
 */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown, code: ReasonCode = 'invalid_body'): z.output<S> {
  const result = schema.safeParse(body, { error: unexplained });
  if (result.success) return result.data;
  const { issues } = result.error;
  const first = issues.find((issue) => issue.code === 'unrecognized_keys') ?? issues[0];
  throw first ? errorOf(first, code) : new ScalariumError(code, { reason: 'malformed body' });
}
