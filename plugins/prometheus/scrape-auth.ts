// Who may scrape GET /metrics: it shows every app and instance of the server, so an admin's API
// token, or the scrape token the operator configured (SCALARIUM_METRICS_TOKEN) for Prometheus.
import crypto from 'node:crypto';
import type Koa from 'koa';
import { bearerToken, type Scalarium } from '../../server/plugin-api.ts';

const digest = (text: string) => crypto.createHash('sha256').update(text).digest();

export function scrapeToken(env: NodeJS.ProcessEnv = process.env): Buffer | undefined {
  const token = env.SCALARIUM_METRICS_TOKEN;
  if (token === undefined || token === '') return undefined;
  if (token.length < 20) throw new Error('SCALARIUM_METRICS_TOKEN must be at least 20 characters (e.g. `openssl rand -hex 20`)');
  return digest(token);
}

/** 'ok', or the status to answer: 401 without a credential, 403 with one that may not scrape. */
export async function mayScrape(scalarium: Scalarium, ctx: Koa.Context, configured: Buffer | undefined): Promise<'ok' | 401 | 403> {
  const token = bearerToken(ctx);
  if (!token) return 401;
  if (configured && crypto.timingSafeEqual(digest(token), configured)) return 'ok';
  const principal = await scalarium.hooks.authenticate.promise({ token });
  if (!principal) return 401;
  // A scoped or capped token sees part of the server at most: not the whole of it.
  return principal.user.admin && !principal.user.disabled && !principal.scope && !principal.role ? 'ok' : 403;
}
