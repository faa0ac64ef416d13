// Reads a JSON request body with a size limit (no body-parsing middleware in front of git routes).
import type Koa from 'koa';
import { ScalariumError } from '../core/errors.ts';

export const MAX_JSON_BODY = 1024 * 1024;

export async function readBody(ctx: Koa.Context, limit = MAX_JSON_BODY): Promise<Buffer> {
  const declared = Number(ctx.get('content-length') || 0);
  if (declared > limit) throw new ScalariumError('body_too_large');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new ScalariumError('body_too_large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export async function readJson(ctx: Koa.Context): Promise<unknown> {
  const body = await readBody(ctx);
  if (!body.length) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ScalariumError('invalid_body', { reason: 'the body is not valid JSON' });
  }
  // Every endpoint takes a JSON object; null, arrays and scalars are refused here, once.
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ScalariumError('invalid_body', { reason: 'the body must be a JSON object' });
  }
  return parsed;
}

export async function readForm(ctx: Koa.Context): Promise<Record<string, string>> {
  const body = await readBody(ctx, 256 * 1024);
  return Object.fromEntries(new URLSearchParams(body.toString('utf8')));
}
