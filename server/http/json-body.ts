// Request bodies of the API and the UI's forms, read with co-body (raw-body underneath): a size
// limit counted on the decoded bytes, the declared length checked, and JSON parsed with
// @hapi/bourne, which refuses a body with a __proto__ key (prototype pollution) outright
// (constructor.prototype is plain data to JSON.parse and to every handler here). Errors
// become catalogue errors. Git's routes
// stream their bodies and never come here.
import type Koa from 'koa';
import coBody from 'co-body';
import { ScalariumError } from '../core/errors.ts';

const MAX_JSON_BODY = '1mb';
const MAX_FORM_BODY = '256kb';

async function read<T>(parse: () => Promise<T>): Promise<T> {
  try {
    return await parse();
  } catch (error) {
    const status = (error as { status?: number }).status;
    if (status === 413) throw new ScalariumError('body_too_large');
    if (status === 415) throw new ScalariumError('invalid_body', { reason: 'the body\'s content encoding is not supported' });
    if (status && /prototype property/.test((error as Error).message)) {
      throw new ScalariumError('invalid_body', { reason: 'no key may be named __proto__' });
    }
    if (status && status < 500) throw new ScalariumError('invalid_body', { reason: 'the body is not valid JSON' });
    throw error;
  }
}

/** A JSON object (an empty body is `{}`); null, arrays and scalars are refused here, once for every endpoint. */
export async function readJson(ctx: Koa.Context): Promise<unknown> {
  const parsed: unknown = await read(() => coBody.json(ctx.req, { limit: MAX_JSON_BODY, strict: false }));
  if (parsed === '' || parsed === undefined) return {};
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ScalariumError('invalid_body', { reason: 'the body must be a JSON object' });
  }
  return parsed;
}

/** An HTML form's fields, each a string (no nesting: URLSearchParams, not qs). */
export async function readForm(ctx: Koa.Context): Promise<Record<string, string>> {
  const text = await read(() => coBody.text(ctx.req, { limit: MAX_FORM_BODY }));
  return Object.fromEntries(new URLSearchParams(text));
}
