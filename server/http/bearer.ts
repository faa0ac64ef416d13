// The API token of a request: `Authorization: Bearer <token>`; undefined without one.
import type Koa from 'koa';

export function bearerToken(ctx: Koa.Context): string | undefined {
  const header = ctx.get('authorization');
  const token = header.startsWith('Bearer ') ? header.slice(7).trim() : '';
  return token || undefined;
}
