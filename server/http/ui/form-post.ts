// The shape every state-changing form of the admin UI has, written once: a session (or the log-in
// page), the same-origin + CSRF check, the authorize hook for the action on the server, an app or a
// cluster, then the change. A catalogue error (ScalariumError) re-renders the form's page with the
// message, what was typed and the error's status; anything else is a bug and goes to the error page.
import type Router from '@koa/router';
import type Koa from 'koa';
import type { Scalarium } from '../../core/scalarium.ts';
import type { Action } from '../../core/types.ts';
import { ScalariumError } from '../../core/errors.ts';
import { authorizeApp, authorizeCluster, authorizeServer } from './authorize.ts';
import { readCheckedForm } from './csrf.ts';
import { requireSession, seeOther, type UiSession } from './session.ts';

export type Form = Record<string, string>;
export interface FormError {
  message: string;
  hint?: string;
}

/** What the form does, on what: an app or cluster is the route's :app or :cluster. */
export type FormTarget =
  | { on: 'server'; action: 'admin' | 'self' }
  | { on: 'app'; action: Action }
  | { on: 'cluster'; action: Action };

export type FormPost = FormTarget & {
  path: string;
  /** Makes the change; returns where to send the browser (303), or nothing when it rendered a page. */
  handle(ctx: Koa.Context, session: UiSession, form: Form): Promise<string | void>;
  /** Shows the form's page again with the error (keeping what was typed); the status is set after. */
  rerender(ctx: Koa.Context, session: UiSession, form: Form, error: FormError): Promise<void>;
};

export function formPost(scalarium: Scalarium, router: Router, post: FormPost): void {
  router.post(post.path, async (ctx) => {
    const session = await requireSession(scalarium, ctx);
    if (!session) return;
    const form = await readCheckedForm(scalarium, ctx, session);
    const { principal } = session;
    if (post.on === 'app') await authorizeApp(scalarium, ctx, principal, post.action, ctx.params.app!);
    else if (post.on === 'cluster') await authorizeCluster(scalarium, ctx, principal, post.action, ctx.params.cluster!);
    else await authorizeServer(scalarium, ctx, principal, post.action);
    try {
      const location = await post.handle(ctx, session, form);
      if (location) seeOther(ctx, location);
    } catch (error) {
      if (!(error instanceof ScalariumError)) throw error;
      await post.rerender(ctx, session, form, { message: error.message, hint: error.hint });
      ctx.status = error.status;
    }
  });
}

/** A redirect target with a notice the page shows once (flash). */
export function withNotice(path: string, notice: string): string {
  return `${path}?notice=${encodeURIComponent(notice)}`;
}
