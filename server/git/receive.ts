// The server side of the pre-receive hook: a push of the app's deploy branch (server/core/
// deploy-branch.ts) is built, released and rolled out while git holds the new objects in quarantine. The hook gets progress lines as they happen
// and a verdict last; git moves the branch only on "ok", so the deploy branch always equals the
// live release's commit.
import { PassThrough } from 'node:stream';
import type Koa from 'koa';
import type { Scalarium } from '../core/scalarium.ts';
import type { PushSessions } from './push-sessions.ts';
import { readJson } from '../http/json-body.ts';
import { findApp, setDeployBranch } from '../db/apps.ts';
import { FIRST_PUSH_BRANCHES } from '../core/deploy-branch.ts';
import { audit } from '../core/audit.ts';
import { runChange } from '../deploy/orchestrator.ts';
import { extractCommit } from '../build/source.ts';
import { keepQuarantinedObjects } from './quarantine.ts';
import { repoStore } from '../core/paths.ts';
import { asScalariumError, ScalariumError } from '../core/errors.ts';
import { appUrl } from '../http/api/present.ts';
import type { Output } from '../core/types.ts';

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
  const app = await findApp(scalarium.db, session.app);
  if (!app) {
    output.line('! This app no longer exists.');
    return false;
  }
  // Until the app has a deploy branch, the first push of main or master makes it one.
  const branch = app.deploy_branch ?? FIRST_PUSH_BRANCHES.find((name) => refs.some((r) => r.ref === `refs/heads/${name}`));
  const deploy = branch ? refs.find((r) => r.ref === `refs/heads/${branch}`) : undefined;
  if (!branch || !deploy) {
    const pushed = refs.map((r) => r.ref.replace(/^refs\/heads\//, '')).filter((name) => FIRST_PUSH_BRANCHES.includes(name))[0];
    output.line(`Stored. Only pushes to ${branch ?? 'main or master'} deploy ${app.name}.`);
    if (branch && pushed) output.line(`To deploy ${pushed}: git push scalarium ${pushed}:${branch}, or make it the deploy branch: scalarium git:branch ${pushed} --app ${app.name}`);
    return true;
  }
  if (ZERO.test(deploy.newSha)) {
    output.line(`! Deleting ${branch} is not allowed: it is the deploy branch.`);
    return false;
  }
  if (!app.deploy_branch) {
    await setDeployBranch(scalarium.db, app.id, branch, true);
    output.line(`-----> ${branch} is the deploy branch of ${app.name} (scalarium git:branch changes it)`);
  }
  const repos = repoStore(scalarium);
  const moves = [{ ref: deploy.ref, sha: deploy.newSha }];
  try {
    const release = await runChange(scalarium, {
      app, principal, output, purpose: `push of ${deploy.newSha.slice(0, 7)}`, refs: moves, gitMovesRefs: true,
      incoming: { via: 'git', ref: deploy.ref, oldSha: deploy.oldSha, newSha: deploy.newSha },
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
    if (failure.code === 'deploy_refused') {
      output.line(`! Push rejected: ${failure.params.reason}`);
      await audit(scalarium, principal, 'git.push', app.name, { outcome: 'denied', detail: { reason: failure.params.reason } });
      return false;
    }
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
