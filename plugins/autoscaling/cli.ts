// autoscale, autoscale:set, autoscale:remove, autoscale:schedule and autoscale:unschedule: the CLI
// side of autoscaling, for a cluster's role (--cluster C --role R) or an app's process type (--app A
// --type T; the app defaults to the git remote). Listed through plugins/builtin-cli.ts.
import type { Command, Context, OptionSpec } from '../../cli/command.ts';
import { formatTime, table, terminalSafe } from '../../cli/output.ts';
// Types only: the compiled CLI carries no server code.
import type { AutoscaleAnswer, PolicyView, ScheduleView } from './service.ts';

const SCOPE: Record<string, OptionSpec> = {
  cluster: { type: 'string', value: 'NAME', description: 'a cluster (with --role) instead of an app' },
  role: { type: 'string', value: 'ROLE', description: 'the cluster\'s role whose instances scale' },
  type: { type: 'string', value: 'TYPE', description: 'the app\'s process type that scales (e.g. web)' },
};

/** /api/clusters/<c>/autoscale or /api/apps/<a>/autoscale, and the target's segment when `needTarget`. */
async function paths(ctx: Context, needTarget: boolean): Promise<{ base: string; target: string; what: string }> {
  const cluster = ctx.string('cluster');
  if (cluster !== undefined) {
    if (ctx.string('app') !== undefined) throw ctx.usage('Give --app or --cluster, not both.');
    if (ctx.string('type') !== undefined) throw ctx.usage('A cluster scales a --role; --type is for an app\'s process type.');
    const role = ctx.string('role');
    if (needTarget && !role) throw ctx.usage('Give the role: --role NAME (e.g. app).');
    return { base: `/api/clusters/${encodeURIComponent(cluster)}/autoscale`, target: encodeURIComponent(role ?? ''), what: `role ${role} of cluster ${cluster}` };
  }
  if (ctx.string('role') !== undefined) throw ctx.usage('--role needs --cluster; an app scales a --type.');
  const type = ctx.string('type');
  if (needTarget && !type) throw ctx.usage('Give the process type: --type NAME (e.g. web).');
  const app = await ctx.app();
  return { base: `/api/apps/${encodeURIComponent(app)}/autoscale`, target: encodeURIComponent(type ?? ''), what: `${type} of app ${app}` };
}

function showAnswer(ctx: Context, answer: AutoscaleAnswer): void {
  if (ctx.json) return ctx.printJson(answer);
  const of = answer.cluster !== undefined ? `cluster ${answer.cluster}` : `app ${answer.app}`;
  if (!answer.targets.length) ctx.out(`Nothing of ${of} scales by itself. (scalarium autoscale:set, autoscale:schedule)`);
  for (const target of answer.targets) {
    const name = target.role ? `role ${target.role}` : target.type;
    ctx.out(`=== ${of}, ${name}: ${target.current} now`);
    ctx.out(`policy:   ${target.policy ? target.policy.described : 'none'}`);
    if (target.lastReading) ctx.out(`reading:  ${target.lastReading.value ?? terminalSafe(target.lastReading.note ?? 'none')} (${formatTime(target.lastReading.at)})`);
    for (const s of target.schedules) ctx.out(`schedule: #${s.id} ${s.count} at "${terminalSafe(s.cron)}" (${s.tz})${s.next ? `, next ${formatTime(s.next)}` : ''}`);
    ctx.out('');
  }
  if (answer.decisions.length) {
    ctx.out(table(['TIME', 'TARGET', 'FROM → TO', 'BY', 'WHY'], answer.decisions.map((d) => [
      formatTime(d.at), d.role ?? d.type ?? '-', `${d.from} → ${d.to}`, `${d.source}${d.dryRun ? ' (dry run)' : ''}`, terminalSafe(d.reason),
    ])));
  }
}

const show: Command = {
  name: 'autoscale',
  summary: 'Policies and schedules of a cluster\'s roles or an app\'s process types, current counts, and the last decisions with their reasons',
  app: true,
  json: true,
  options: { cluster: SCOPE.cluster!, limit: { type: 'string', value: 'N', description: 'decisions to show (default 20)' } },
  examples: ['scalarium autoscale --cluster prod', 'scalarium autoscale --app shop'],
  async run(ctx) {
    const limit = ctx.string('limit') ?? '20';
    if (!/^\d{1,3}$/.test(limit) || Number(limit) < 1) throw ctx.usage('--limit takes a whole number from 1 to 500.');
    const { base } = await paths(ctx, false);
    showAnswer(ctx, await (await ctx.api()).get<AutoscaleAnswer>(`${base}?limit=${limit}`));
  },
};

const METRIC_FLAGS = ['cpu', 'memory', 'load', 'requests', 'p95'] as const;
const thresholdOptions: Record<string, OptionSpec> = Object.fromEntries(METRIC_FLAGS.flatMap((m) => [
  [`${m}-above`, { type: 'string', value: 'N', description: `scale up when ${m} is above N for --for` }],
  [`${m}-below`, { type: 'string', value: 'N', description: `scale down when ${m} is below N for --down-for` }],
  [`target-${m}`, { type: 'string', value: 'N', description: `target tracking: keep ${m} near N` }],
]));

const set: Command = {
  name: 'autoscale:set',
  summary: 'Scale a cluster\'s role or an app\'s process type on load: step thresholds or a target',
  app: true,
  json: true,
  options: {
    ...SCOPE,
    min: { type: 'string', value: 'N', description: 'never fewer (required)' },
    max: { type: 'string', value: 'N', description: 'never more (required)' },
    ...thresholdOptions,
    for: { type: 'string', value: 'DURATION', description: 'how long the metric must be past a threshold (default 5m)' },
    'down-for': { type: 'string', value: 'DURATION', description: 'the same for scaling down (default: --for)' },
    cooldown: { type: 'string', value: 'DURATION', description: 'wait after a change (default 5m)' },
    'down-cooldown': { type: 'string', value: 'DURATION', description: 'the same before a scale-down (default: --cooldown)' },
    step: { type: 'string', value: 'N', description: 'instances or processes added or taken away at a time (default 1)' },
    'dry-run': { type: 'boolean', description: 'write the decisions, change nothing' },
  },
  description: 'Roles scale on cpu, memory or load (averaged over the role\'s instances); process types on cpu, requests (per process, per second) or p95 (ms; web). '
    + 'Give one metric: --<metric>-above and/or --<metric>-below, or --target-<metric>. Durations: 90s, 5m, 1h. The policy replaces the target\'s previous one.',
  examples: [
    'scalarium autoscale:set --cluster prod --role app --min 2 --max 20 --cpu-above 70 --cpu-below 30 --for 5m --cooldown 5m',
    'scalarium autoscale:set --app shop --type web --min 2 --max 10 --p95-above 300ms',
    'scalarium autoscale:set --app shop --type web --min 2 --max 10 --target-requests 50',
  ],
  async run(ctx) {
    const { base, target, what } = await paths(ctx, true);
    const given = METRIC_FLAGS.filter((m) => ['above', 'below'].some((k) => ctx.string(`${m}-${k}`) !== undefined) || ctx.string(`target-${m}`) !== undefined);
    if (given.length !== 1) throw ctx.usage(given.length ? `Give one metric, not ${given.join(' and ')}.` : 'Give a metric: e.g. --cpu-above 70, --p95-above 300ms or --target-cpu 60.');
    const metric = given[0]!;
    const number = (name: string) => {
      const value = ctx.string(name);
      if (value === undefined) return undefined;
      if (!/^\d{1,3}$/.test(value)) throw ctx.usage(`--${name} takes a whole number.`);
      return Number(value);
    };
    const min = number('min');
    const max = number('max');
    if (min === undefined || max === undefined) throw ctx.usage('Give --min and --max.');
    const body: Record<string, unknown> = { metric, min, max };
    const copy = (flag: string, field: string) => {
      const value = ctx.string(flag);
      if (value !== undefined) body[field] = value;
    };
    copy(`${metric}-above`, 'above');
    copy(`${metric}-below`, 'below');
    copy(`target-${metric}`, 'target');
    copy('for', 'for');
    copy('down-for', 'downFor');
    copy('cooldown', 'cooldown');
    copy('down-cooldown', 'downCooldown');
    const step = number('step');
    if (step !== undefined) body.step = step;
    if (ctx.flag('dry-run')) body.dryRun = true;
    const policy = await (await ctx.api()).put<PolicyView>(`${base}/${target}`, body);
    if (ctx.json) return ctx.printJson(policy);
    ctx.out(`Autoscaling ${what}: ${policy.described}`);
  },
};

const remove: Command = {
  name: 'autoscale:remove',
  summary: 'Stop scaling a cluster\'s role or an app\'s process type on load (its schedules stay)',
  app: true,
  options: SCOPE,
  examples: ['scalarium autoscale:remove --cluster prod --role app', 'scalarium autoscale:remove --app shop --type web'],
  async run(ctx) {
    const { base, target, what } = await paths(ctx, true);
    await (await ctx.api()).delete(`${base}/${target}`);
    ctx.out(`Autoscaling of ${what} on load removed; its count stays where it is.`);
  },
};

const schedule: Command = {
  name: 'autoscale:schedule',
  summary: 'Set a count at times given by cron in a time zone (the floor load-based scaling works above)',
  app: true,
  json: true,
  options: {
    ...SCOPE,
    count: { type: 'string', value: 'N', description: 'the count from then on (required)' },
    cron: { type: 'string', value: 'EXPR', description: 'minute hour day-of-month month day-of-week (required)' },
    tz: { type: 'string', value: 'ZONE', description: 'IANA time zone (default UTC)' },
  },
  examples: [
    'scalarium autoscale:schedule --cluster prod --role app --count 8 --cron "0 8 * * 1-5" --tz Europe/Berlin',
    'scalarium autoscale:schedule --cluster prod --role app --count 2 --cron "0 20 * * *" --tz Europe/Berlin',
  ],
  async run(ctx) {
    const { base, target, what } = await paths(ctx, true);
    const count = ctx.string('count');
    const cron = ctx.string('cron');
    if (count === undefined || !/^\d{1,3}$/.test(count)) throw ctx.usage('Give --count N (a whole number).');
    if (!cron) throw ctx.usage('Give --cron "minute hour day month weekday", e.g. --cron "0 8 * * 1-5".');
    const made = await (await ctx.api()).post<ScheduleView>(`${base}/${target}/schedules`, { count: Number(count), cron, ...(ctx.string('tz') ? { tz: ctx.string('tz') } : {}) });
    if (ctx.json) return ctx.printJson(made);
    ctx.out(`Schedule #${made.id} of ${what}: ${made.count} at "${made.cron}" (${made.tz})${made.next ? `, next ${formatTime(made.next)}` : ''}`);
  },
};

const unschedule: Command = {
  name: 'autoscale:unschedule',
  summary: 'Remove a schedule (its id is in `scalarium autoscale`)',
  app: true,
  positionals: { min: 1, max: 1 },
  args: 'ID',
  options: { cluster: SCOPE.cluster! },
  examples: ['scalarium autoscale:unschedule 3 --cluster prod', 'scalarium autoscale:unschedule 4 --app shop'],
  async run(ctx) {
    const id = ctx.positionals[0]!;
    if (!/^\d{1,9}$/.test(id)) throw ctx.usage('The schedule id is a whole number (scalarium autoscale lists them).');
    const { base } = await paths(ctx, false);
    await (await ctx.api()).delete(`${base}/schedules/${id}`);
    ctx.out(`Schedule #${id} removed.`);
  },
};

export const commands: Command[] = [show, set, remove, schedule, unschedule];
