// GET /clusters/:cluster/healing, a tab of the cluster's pages: the policy (with its form for those
// who may scale the cluster), each online instance's silence, and what healing saw and did.
import type Router from '@koa/router';
import type Koa from 'koa';
import {
  authorizeCluster, clusterTabs, flash, formPost, mayOnCluster, requireSession, view, withNotice,
  type Form, type FormError, type Scalarium, type UiSession,
} from '../../server/plugin-api.ts';
import type { Healer } from './healer.ts';
import { healingOf, setHealing } from './service.ts';

export const healingPath = (cluster: string): string => `/clusters/${encodeURIComponent(cluster)}/healing`;

export function healingPages(scalarium: Scalarium, healer: Healer, router: Router): void {
  async function render(ctx: Koa.Context, session: UiSession, cluster: string, messages: { notice?: string; error?: FormError } = {}, form?: Form) {
    const healing = await healingOf(scalarium, healer, cluster);
    // The form shows the stored policy, or what was typed when it came back with an error.
    const fields = form
      ? { enabled: form.enabled === 'on', dryRun: form.dryRun === 'on', suspectAfter: form.suspectAfter ?? '', replaceAfter: form.replaceAfter ?? '' }
      : healing.policy;
    view(scalarium, ctx, 'healing/healing', {
      title: `Cluster ${healing.cluster} · healing`, clusterName: healing.cluster, ...clusterTabs(scalarium, session, healing.cluster, healingPath(healing.cluster)),
      healing, fields, canScale: await mayOnCluster(scalarium, session.principal, 'scale', healing.cluster), ...messages,
    }, session);
  }

  router.get('/clusters/:cluster/healing', async (ctx) => {
    const session = await requireSession(scalarium, ctx);
    if (!session) return;
    await authorizeCluster(scalarium, ctx, session.principal, 'read', ctx.params.cluster!);
    await render(ctx, session, ctx.params.cluster!, { notice: flash(ctx, 'notice') });
  });

  formPost(scalarium, router, {
    path: '/clusters/:cluster/healing', on: 'cluster', action: 'scale',
    async handle(ctx, session, form) {
      const answer = await setHealing(scalarium, healer, session.principal, ctx.params.cluster, {
        enabled: form.enabled === 'on', dryRun: form.dryRun === 'on',
        ...(form.suspectAfter ? { suspectAfter: form.suspectAfter } : {}), ...(form.replaceAfter ? { replaceAfter: form.replaceAfter } : {}),
      });
      return withNotice(healingPath(answer.cluster), `Healing of ${answer.cluster}: ${answer.policy.described}`);
    },
    rerender: (ctx, session, form, error) => render(ctx, session, ctx.params.cluster!, { error }, form),
  });
}
