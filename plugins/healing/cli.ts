// healing and healing:set: a cluster's healing (policy, instances being watched, what it did and
// why) and its policy (listed by the CLI through plugins/builtin-cli.ts).
import type { Command, Context } from '../../cli/command.ts';
import { formatTime, table, terminalSafe } from '../../cli/output.ts';
// Types only: the compiled CLI carries no server code.
import type { HealingAnswer } from './service.ts';

const CLUSTER = { type: 'string', value: 'NAME', description: 'the cluster (required)' } as const;

function clusterPath(ctx: Context): string {
  const cluster = ctx.string('cluster');
  if (!cluster) throw ctx.usage('Give the cluster: --cluster NAME.');
  return `/api/clusters/${encodeURIComponent(cluster)}/healing`;
}

function show(ctx: Context, answer: HealingAnswer): void {
  if (ctx.json) return ctx.printJson(answer);
  ctx.out(`Healing of cluster ${answer.cluster}: ${answer.policy.described}`);
  if (answer.paused) ctx.out(`PAUSED: ${terminalSafe(answer.paused)}`);
  const watched = answer.instances.filter((i) => i.status !== 'ok');
  if (watched.length) {
    ctx.out('');
    ctx.out(table(['INSTANCE', 'ROLE', 'SILENT FOR', 'STATUS'], watched.map((i) => [i.instance, i.role, i.silentFor, i.status])));
  } else {
    ctx.out(`All ${answer.instances.length} online instance(s) heard from.`);
  }
  if (answer.events.length) {
    ctx.out('');
    ctx.out(table(['TIME', 'INSTANCE', 'EVENT', 'WHY'], answer.events.map((e) => [formatTime(e.at), e.instance ?? '-', e.kind, terminalSafe(e.reason)])));
  }
}

const healing: Command = {
  name: 'healing',
  summary: 'A cluster\'s healing: its policy, instances suspect or being replaced, and what it did and why',
  json: true,
  options: { cluster: CLUSTER, limit: { type: 'string', value: 'N', description: 'events to show (default 20)' } },
  examples: ['scalarium healing --cluster prod'],
  async run(ctx) {
    const limit = ctx.string('limit') ?? '20';
    if (!/^\d{1,3}$/.test(limit) || Number(limit) < 1) throw ctx.usage('--limit takes a whole number from 1 to 500.');
    show(ctx, await (await ctx.api()).get<HealingAnswer>(`${clusterPath(ctx)}?limit=${limit}`));
  },
};

const set: Command = {
  name: 'healing:set',
  summary: 'Turn a cluster\'s healing on or off, make it a dry run, or change when instances are replaced',
  json: true,
  options: {
    cluster: CLUSTER,
    on: { type: 'boolean', description: 'heal (the default)' },
    off: { type: 'boolean', description: 'do not replace silent instances' },
    'dry-run': { type: 'boolean', description: 'write what healing would do, do nothing' },
    'no-dry-run': { type: 'boolean', description: 'act again after a dry run' },
    'suspect-after': { type: 'string', value: 'DURATION', description: 'silence that makes an instance suspect (default 15s)' },
    'replace-after': { type: 'string', value: 'DURATION', description: 'silence after which it is replaced (default 30s)' },
  },
  description: 'Durations are whole seconds, minutes or hours: 15s, 2m, 1h.',
  examples: ['scalarium healing:set --cluster prod --replace-after 1m', 'scalarium healing:set --cluster prod --dry-run', 'scalarium healing:set --cluster prod --off'],
  async run(ctx) {
    if (ctx.flag('on') && ctx.flag('off')) throw ctx.usage('Give --on or --off, not both.');
    if (ctx.flag('dry-run') && ctx.flag('no-dry-run')) throw ctx.usage('Give --dry-run or --no-dry-run, not both.');
    const body: Record<string, unknown> = {};
    if (ctx.flag('on') || ctx.flag('off')) body.enabled = ctx.flag('on');
    if (ctx.flag('dry-run') || ctx.flag('no-dry-run')) body.dryRun = ctx.flag('dry-run');
    const suspect = ctx.string('suspect-after');
    const replace = ctx.string('replace-after');
    if (suspect !== undefined) body.suspectAfter = suspect;
    if (replace !== undefined) body.replaceAfter = replace;
    if (!Object.keys(body).length) throw ctx.usage('Nothing to change.', 'Give --on, --off, --dry-run, --no-dry-run, --suspect-after or --replace-after.');
    show(ctx, await (await ctx.api()).put<HealingAnswer>(clusterPath(ctx), body));
  },
};

export const commands: Command[] = [healing, set];
