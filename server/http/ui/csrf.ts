// Cross-site request forgery: every UI POST must come from our own pages. The browser's
// Sec-Fetch-Site and Origin headers (when sent) must say same-origin, and forms of a logged-in user
// must carry the session's secret token in the hidden field `csrf`.
import crypto from 'node:crypto';
import type Koa from 'koa';
import type { Scalarium } from '../../core/scalarium.ts';
import { ScalariumError } from '../../core/errors.ts';
import { appendAudit } from '../../db/audit.ts';
import { readForm } from '../json-body.ts';
import type { UiSession } from './session.ts';

const SAME_SITE = new Set(['same-origin', 'none']);

export function isSameOrigin(ctx: Koa.Context): boolean {
  const site = ctx.get('sec-fetch-site');
  if (site && !SAME_SITE.has(site.toLowerCase())) return false;
  const origin = ctx.get('origin');
  if (origin) {
    try {
      if (new URL(origin).host !== ctx.get('host').toLowerCase()) return false;
    } catch {
      return false; // "null" and other opaque origins
    }
  }
  return true;
}

export function tokenMatches(expected: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

/** Reads a POSTed form after checking its origin and (with a session) its CSRF token; 403 otherwise. */
export async function readCheckedForm(scalarium: Scalarium, ctx: Koa.Context, session?: UiSession): Promise<Record<string, string>> {
  const sameOrigin = isSameOrigin(ctx);
  const form = sameOrigin ? await readForm(ctx) : {};
  if (!sameOrigin || (session && !tokenMatches(session.csrf, form.csrf))) {
    await appendAudit(scalarium.db, {
      actor: session?.principal.user.name ?? 'anonymous', source: ctx.ip, action: `POST ${ctx.path}`,
      outcome: 'denied', detail: { reason: sameOrigin ? 'csrf token mismatch' : 'cross-origin request' },
    });
    throw new ScalariumError('forbidden');
  }
  return form;
}
