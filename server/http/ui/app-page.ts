// GET /apps/:app : everything about one app on one page — URLs, its cluster, one-click deploys (latest
// or a chosen commit, a release, an archive URL), formation and processes, releases (with rollback),
// config vars (for those who may configure), the last build log, deployments. Each form appears only
// to those whose role allows its action.
import type Router from '@koa/router';
import type Koa from 'koa';
import { deployBranchOf } from '../../core/deploy-branch.ts';
import type { Scalarium } from '../../core/scalarium.ts';
import { requireApp } from '../../core/app-service.ts';
import { getConfig } from '../../db/apps.ts';
import { listDeployments } from '../../db/deployments.ts';
import { listProcesses } from '../../db/processes.ts';
import { listReleases } from '../../db/releases.ts';
import { appJson, processesJson, releaseJson } from '../api/present.ts';
import { authorizeApp, mayOnApp, mayOnCluster } from './authorize.ts';
import { lastBuildLog } from './build-log.ts';
import { requireSession, type UiSession } from './session.ts';
import { appTabs, flash, view } from './view.ts';
import { repoStore } from '../../core/paths.ts';

export interface PageMessages {
  notice?: string;
  error?: { message: string; hint?: string };
  /** What the user typed into the config form, kept when it failed. */
  configForm?: { key: string; value: string };
  /** What the user typed into a deploy form (commit id or archive URL), kept when it failed. */
  deployForm?: { commit?: string; archive?: string };
}

export async function renderAppPage(scalarium: Scalarium, ctx: Koa.Context, session: UiSession, name: string, messages: PageMessages = {}): Promise<void> {
  const app = await requireApp(scalarium, name);
  const summary = await appJson(scalarium, app);
  const releases = await listReleases(scalarium.db, app.id, 20);
  const current = releases[0]?.version;
  // Forms only for what the user may do (the POST handlers check again).
  const can = {
    deploy: await mayOnApp(scalarium, session.principal, 'deploy', app.name),
    scale: await mayOnApp(scalarium, session.principal, 'scale', app.name),
  };
  const canConfigure = await mayOnApp(scalarium, session.principal, 'configure', app.name);
  const config = canConfigure ? Object.entries(await getConfig(scalarium.db, app.id)).map(([key, value]) => ({ key, value })) : undefined;
  // A link to the cluster only for those who may open its page.
  const clusterLink = summary.cluster !== null && (await mayOnCluster(scalarium, session.principal, 'read', summary.cluster));
  view(scalarium, ctx, 'app', {
    title: app.name,
    ...appTabs(scalarium, session, app.name, `/apps/${encodeURIComponent(app.name)}`),
    app: summary,
    clusterLink,
    formation: Object.entries(summary.formation).map(([type, count]) => ({ type, count })),
    processes: processesJson(await listProcesses(scalarium.db, { appId: app.id })),
    releases: releases.map((r) => releaseJson(r, current)),
    commits: (await repoStore(scalarium).recentCommits(app.name, deployBranchOf(app), 10)).map((c) => ({ ...c, live: c.sha === releases[0]?.commit })),
    can,
    canConfigure,
    config,
    build: await lastBuildLog(scalarium, app.id),
    deployments: await listDeployments(scalarium.db, app.id, 10),
    ...messages,
  }, session);
}

export function appPageRoutes(scalarium: Scalarium, router: Router): void {
  router.get('/apps/:app', async (ctx) => {
    const session = await requireSession(scalarium, ctx);
    if (!session) return;
    await authorizeApp(scalarium, ctx, session.principal, 'read', ctx.params.app);
    await renderAppPage(scalarium, ctx, session, ctx.params.app, { notice: flash(ctx, 'notice') });
  });
}
