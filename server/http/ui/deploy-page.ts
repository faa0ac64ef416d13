// GET /apps/:app/deploys/:id: a deploy's output as it happens, without JavaScript. The page is sent
// in pieces: the layout up to the log, then each line as the build and rollout print it, then how
// the deploy ended and the rest of the layout; browsers draw a page as it arrives. Reloaded later,
// it replays the whole output (server/deploy/live.ts keeps it).
import { PassThrough } from 'node:stream';
import type Router from '@koa/router';
import Handlebars from 'handlebars';
import type { Scalarium } from '../../core/scalarium.ts';
import { ScalariumError } from '../../core/errors.ts';
import { requireApp } from '../../core/app-service.ts';
import { findLiveDeploy, followLiveDeploy, type LiveOutcome } from '../../deploy/live.ts';
import { authorizeApp } from './authorize.ts';
import { requireSession } from './session.ts';
import { appTabs, view } from './view.ts';

const OUTPUT_MARK = '<!--live-output-->';
const OUTCOME_MARK = '<!--live-outcome-->';
const ANSI = /\x1b(?:\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])/g;
const escape = (text: string) => Handlebars.escapeExpression(text.replace(ANSI, ''));

export function deployPageRoutes(scalarium: Scalarium, router: Router): void {
  router.get('/apps/:app/deploys/:id', async (ctx) => {
    const session = await requireSession(scalarium, ctx);
    if (!session) return;
    await authorizeApp(scalarium, ctx, session.principal, 'read', ctx.params.app);
    const app = (await requireApp(scalarium, ctx.params.app)).name;
    const deploy = findLiveDeploy(scalarium, app, ctx.params.id);
    if (!deploy) throw new ScalariumError('deploy_not_found', { id: ctx.params.id.slice(0, 40) });
    view(scalarium, ctx, 'deploy', { title: `${app}: deploy`, app, deploy, ...appTabs(scalarium, session, app, '') }, session);
    const page = String(ctx.body);
    const [head, rest] = split(page, OUTPUT_MARK);
    const [middle, tail] = split(rest, OUTCOME_MARK);
    const stream = new PassThrough();
    stream.on('error', () => {});
    const write = (text: string) => {
      if (!stream.destroyed && !stream.writableEnded) stream.write(text);
    };
    ctx.body = stream;
    write(head);
    const stop = followLiveDeploy(scalarium, deploy, {
      line: (text) => write(`${escape(text)}\n`),
      end: (outcome) => {
        write(middle + outcomeHtml(app, outcome) + tail);
        stream.end();
      },
    });
    ctx.res.on('close', stop);
  });
}

function split(page: string, mark: string): [string, string] {
  const at = page.indexOf(mark);
  if (at < 0) throw new Error(`templates/pages/deploy.hbs lost its ${mark}`);
  return [page.slice(0, at), page.slice(at + mark.length)];
}

function outcomeHtml(app: string, outcome: LiveOutcome): string {
  if ('release' in outcome) {
    const { version, description } = outcome.release;
    return `<p class="flash notice" role="status">Deployed v${version}: ${escape(description)}. <a href="/apps/${escape(app)}">See ${escape(app)}</a></p>`;
  }
  const hint = outcome.error.hint ? `<p class="hint">${escape(outcome.error.hint)}</p>` : '';
  return `<div class="flash error" role="alert"><p>${escape(outcome.error.message)}</p>${hint}<p>The previous release keeps serving.</p></div>`;
}
