// The server side of the pre-receive hook: a push of main or master is built, released and rolled
// out while git holds the new objects in quarantine. The hook gets progress lines as they happen
// and a verdict last; git moves the branch only on "ok", so the deploy branch always equals the
// live release's commit.
import { PassThrough } from 'node:stream';
import type Koa from 'koa';
import type { Scalarium } from '../core/scalarium.ts';
import type { PushSessions } from './push-sessions.ts';
import { readJson } from '../http/json-body.ts';
import { findApp } from '../db/apps.ts';
import { audit } from '../core/audit.ts';
import { runChange } from '../deploy/orchestrator.ts';
import { extractCommit } from '../build/source.ts';
import { keepQuarantinedObjects } from './quarantine.ts';
import { repoStore } from '../core/paths.ts';
import { asScalariumError, ScalariumError } from '../core/errors.ts';
import { appUrl } from '../http/api/present.ts';
import type { Output } from '../core/types.ts';

const DEPLOY_BRANCHES = new Set(['refs/heads/main', 'refs/heads/master']);
const ZERO = /^0+$/;

interface HookBody {
  refs: Array<{ oldSha: string; newSha: string; ref: string }>;
  objectDirectory: string | null;
  alternates: string | null;
}

export function preReceiveHandler(scalarium: Scalarium, sessions: PushSessions): Koa.Middleware {
  return async (ctx) => {
    const session = sessions.take(ctx.get('authorization').replace(/^Bearer /, ''));
    if (!session) {
      ctx.status = 401;
      ctx.body = 'unknown push\n';
      return;
    }
    const body = (await readJson(ctx)) as HookBody;
    const stream = new PassThrough();
    ctx.type = 'text/plain; charset=utf-8';
    ctx.body = stream;
    let aborted = false;
    // The hook (and with it git) went away: the branch will not move, so the release must not exist.
    ctx.res.on('close', () => {
      if (!ctx.res.writableFinished) aborted = true;
    });
    const output: Output = { line: (text) => stream.write(`${text}\n`) };
    // The work runs after koa has started streaming the response.
    void handlePush(scalarium, session, body, output, () => aborted).then(
      (ok) => stream.end(`\u0000verdict:${ok ? 'ok' : 'rejected'}\n`),
      () => stream.end('\u0000verdict:rejected\n'),
    );
  };
}

async function handlePush(
  scalarium: Scalarium, session: { app: string; principal: import('../db/identity.ts').Principal; source: string },
  body: HookBody, output: Output, aborted: () => boolean,
): Promise<boolean> {
  const principal = { ...session.principal, source: session.source };
  const refs = Array.isArray(body.refs) ? body.refs : [];
  const deploy = refs.find((r) => DEPLOY_BRANCHES.has(r.ref));
  if (!deploy) {
    output.line('Stored. Only pushes to main or master deploy.');
    return true;
  }
  if (ZERO.test(deploy.newSha)) {
    output.line(`! Deleting ${deploy.ref.slice(11)} is not allowed: it is the deployed branch.`);
    return false;
  }
  const app = await findApp(scalarium.db, session.app);
  if (!app) {
    output.line('! This app no longer exists.');
    return false;
  }
  const veto = await scalarium.hooks.receive.promise({ app, principal, via: 'git', ref: deploy.ref, oldSha: deploy.oldSha, newSha: deploy.newSha });
  if (veto) {
    output.line(`! Push rejected: ${veto}`);
    await audit(scalarium, principal, 'git.push', app.name, { outcome: 'denied', detail: { reason: veto } });
    return false;
  }
  // Git moves the pushed branch after the verdict; main follows a push of master when it exists.
  const repos = repoStore(scalarium);
  const moves = [{ ref: deploy.ref, sha: deploy.newSha }];
  if (deploy.ref === 'refs/heads/master' && (await repos.branchCommit(app.name, 'main'))) moves.push({ ref: 'refs/heads/main', sha: deploy.newSha });
  try {
    output.line(`-----> Building ${app.name} (${deploy.newSha.slice(0, 7)})`);
    const release = await runChange(scalarium, {
      app, principal, output, purpose: `push of ${deploy.newSha.slice(0, 7)}`, refs: moves, gitMovesRefs: true,
      source: {
        id: deploy.newSha,
        checkout: (ws) => extractCommit(repos.pathOf(app.name), deploy.newSha, ws.buildDir,
          { objectDirectory: body.objectDirectory, alternates: body.alternates }, (argv) => ws.confine(argv)),
      },
      draft: (build) => ({
        slug: build!.slug, commit: deploy.newSha, buildId: build!.buildId, config: build!.spec.config,
        processTypes: build!.spec.processTypes, description: build!.spec.description, timings: {}, createdBy: principal.user.name,
      }),
      beforeCommit: () => {
        if (aborted()) throw new ScalariumError('deploy_failed', { reason: 'the push was interrupted before it finished' });
      },
      // The pushed objects are still in git's quarantine: copied into the repository before the
      // release is recorded, so that a crash before git moves the branch can still be finished.
      keepSource: () => keepQuarantinedObjects(repos.pathOf(app.name), body.objectDirectory),
    });
    output.line(`       Released v${release.version}`);
    output.line(`       ${await appUrl(scalarium, app)} deployed to Scalarium`);
    await audit(scalarium, principal, 'git.push', app.name, { detail: { commit: deploy.newSha } });
    return true;
  } catch (error) {
    const failure = asScalariumError(error);
    if (failure.code === 'internal') {
      process.stderr.write(`push of ${app.name} failed: ${(error as Error).stack}\n`);
    }
    // A build failure was printed by the build itself (it is part of the kept build log).
    if (failure.code !== 'build_failed') output.line(` !     ${failure.message}`);
    if (failure.hint) output.line(` !     ${failure.hint}`);
    output.line(' !     Push rejected; the previous release keeps serving.');
    await audit(scalarium, principal, 'git.push', app.name, { outcome: 'failed', detail: { reason: failure.message } });
    return false;
  }
}
