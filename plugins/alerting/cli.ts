// alerts, alerts:add, alerts:remove, alerts:history, alerts:builtin and notifiers, notifiers:add,
// notifiers:remove, notifiers:test: the CLI side of alerting (listed through plugins/builtin-cli.ts).
import type { Command, Context } from '../../cli/command.ts';
import { formatTime, table } from '../../cli/output.ts';
// Types only: the compiled CLI carries no server code.
import type { RuleView } from './service.ts';

interface NotifierView { name: string; kind: string; sendsTo: string; default: boolean }
interface HistoryEntry { at: string; title: string; text: string; deliveries: Array<{ notifier: string; status: string; attempts: number; error: string | null }> }

const CLUSTER = { type: 'string', value: 'NAME', description: 'a cluster\'s rules instead of an app\'s' } as const;

/** /api/apps/<app> or /api/clusters/<cluster>, from --cluster or the app (--app or the git remote). */
async function base(ctx: Context): Promise<{ path: string; what: string }> {
  const cluster = ctx.string('cluster');
  if (cluster !== undefined) {
    if (ctx.string('app') !== undefined) throw ctx.usage('Give --app or --cluster, not both.');
    return { path: `/api/clusters/${encodeURIComponent(cluster)}`, what: `cluster ${cluster}` };
  }
  return { path: await ctx.appPath(''), what: `app ${await ctx.app()}` };
}

function scopeOf(r: RuleView): string {
  const s = r.scope;
  return [s.type && `type ${s.type}`, s.role && `role ${s.role}`, s.instance && `instance ${s.instance}`].filter(Boolean).join(', ') || 'all';
}

const alerts: Command = {
  name: 'alerts',
  summary: 'Alert rules of an app or a cluster and their state: ok, pending or firing, since when',
  app: true,
  json: true,
  options: { cluster: CLUSTER },
  examples: ['scalarium alerts', 'scalarium alerts --app shop', 'scalarium alerts --cluster prod'],
  async run(ctx) {
    const { path, what } = await base(ctx);
    const rules = await (await ctx.api()).get<RuleView[]>(`${path}/alerts`);
    if (ctx.json) return ctx.printJson(rules);
    const own = rules.filter((r) => !r.builtin);
    ctx.out(own.length
      ? table(['ID', 'RULE', 'SCOPE', 'STATE', 'SINCE', 'NOTIFIES'], own.map((r) => [String(r.id), r.summary, scopeOf(r), r.state, r.since ? formatTime(r.since) : '', r.notify.join(', ') || 'default']))
      : `No alert rules on ${what}: add one with \`scalarium alerts:add --metric p95_ms --above 500 --for 5m\`.`);
    const builtins = rules.filter((r) => r.builtin);
    if (builtins.length) {
      ctx.out('\nBuilt-in alerts:');
      ctx.out(table(['ALERT', 'STATE', 'WHEN'], builtins.map((r) => [r.builtin!, r.enabled ? r.state : 'off', r.summary])));
    }
  },
};

const add: Command = {
  name: 'alerts:add',
  summary: 'Alert when a metric of the app (or a cluster) is above or below a threshold for a while',
  app: true,
  json: true,
  options: {
    cluster: CLUSTER,
    metric: { type: 'string', value: 'NAME', description: 'e.g. p95_ms, error_rate_percent, requests_per_second, memory_bytes; for clusters instance_cpu_percent, load1' },
    above: { type: 'string', value: 'N', description: 'fire when the value is above N' },
    below: { type: 'string', value: 'N', description: 'fire when the value is below N' },
    for: { type: 'string', value: 'DURATION', description: 'how long it must hold first: 30s, 5m, 1h (default 0: at once)' },
    type: { type: 'string', value: 'TYPE', description: 'one process type of the app (cpu_percent, memory_bytes)' },
    role: { type: 'string', value: 'ROLE', description: 'one role of the cluster' },
    instance: { type: 'string', value: 'ID', description: 'one instance of the cluster' },
    notify: { type: 'string', value: 'NAMES', description: 'notifiers, comma separated (default: the default notifiers)' },
  },
  description: 'Managers of the app or cluster may add rules. `scalarium notifiers` lists where alerts can go.',
  examples: [
    'scalarium alerts:add --app shop --metric p95_ms --above 500 --for 5m --notify slack',
    'scalarium alerts:add --app shop --metric requests_per_second --below 1 --for 10m',
    'scalarium alerts:add --cluster prod --role app --metric instance_cpu_percent --above 90 --for 15m',
  ],
  async run(ctx) {
    const { path } = await base(ctx);
    const body = Object.fromEntries(['metric', 'above', 'below', 'for', 'type', 'role', 'instance', 'notify'].map((k) => [k, ctx.string(k)]).filter(([, v]) => v !== undefined));
    if (!body.metric) throw ctx.usage('Say which metric: --metric NAME (e.g. p95_ms).');
    const rule = await (await ctx.api()).post<RuleView>(`${path}/alerts`, body);
    if (ctx.json) return ctx.printJson(rule);
    ctx.out(`Added alert rule ${rule.id}: ${rule.summary} (${scopeOf(rule)}), notifies ${rule.notify.join(', ') || 'the default notifiers'}.`);
  },
};

const remove: Command = {
  name: 'alerts:remove',
  summary: 'Remove an alert rule of the app (or a cluster)',
  args: 'ID',
  positionals: { min: 1, max: 1 },
  app: true,
  options: { cluster: CLUSTER },
  examples: ['scalarium alerts:remove 3 --app shop'],
  async run(ctx) {
    const { path } = await base(ctx);
    const id = ctx.positionals[0]!;
    if (!/^\d+$/.test(id)) throw ctx.usage(`"${id}" is no rule id: give the number \`scalarium alerts\` shows.`);
    await (await ctx.api()).delete(`${path}/alerts/${id}`);
    ctx.out(`Removed alert rule ${id}.`);
  },
};

const history: Command = {
  name: 'alerts:history',
  summary: 'What fired and resolved, and whether each notifier got it',
  app: true,
  json: true,
  options: { cluster: CLUSTER, num: { type: 'string', short: 'n', value: 'N', description: 'how many (default 20, at most 500)' } },
  examples: ['scalarium alerts:history --app shop', 'scalarium alerts:history --cluster prod -n 100'],
  async run(ctx) {
    const { path, what } = await base(ctx);
    const n = ctx.string('num') ?? '20';
    if (!/^\d+$/.test(n) || Number(n) < 1) throw ctx.usage(`-n takes a whole number of entries, got "${n}".`);
    const entries = await (await ctx.api()).get<HistoryEntry[]>(`${path}/alerts/history?limit=${n}`);
    if (ctx.json) return ctx.printJson(entries);
    if (!entries.length) return ctx.out(`Nothing has fired on ${what} yet.`);
    ctx.out(table(['WHEN', 'WHAT', 'DELIVERED'], entries.map((e) => [
      formatTime(e.at), e.title, e.deliveries.map((d) => `${d.notifier}: ${d.status}${d.error ? ` (${d.error})` : ''}`).join('; ') || 'no notifier',
    ])));
  },
};

const builtin: Command = {
  name: 'alerts:builtin',
  summary: 'Turn a built-in alert off or on (admin): instance_unreachable, crash_loop, deploy_failed, error_rate',
  args: 'NAME',
  positionals: { min: 0, max: 1 },
  json: true,
  options: { off: { type: 'boolean', description: 'turn it off' }, on: { type: 'boolean', description: 'turn it on' } },
  examples: ['scalarium alerts:builtin', 'scalarium alerts:builtin error_rate --off'],
  async run(ctx) {
    const api = await ctx.api();
    const name = ctx.positionals[0];
    if (!name) {
      const rules = await api.get<RuleView[]>('/api/alerts/builtin');
      if (ctx.json) return ctx.printJson(rules);
      return ctx.out(table(['ALERT', 'ON', 'WHEN'], rules.map((r) => [r.builtin!, r.enabled ? 'on' : 'off', r.summary])));
    }
    if (ctx.flag('off') === ctx.flag('on')) throw ctx.usage('Give --off or --on.');
    const rule = await api.put<RuleView>(`/api/alerts/builtin/${encodeURIComponent(name)}`, { enabled: ctx.flag('on') });
    if (ctx.json) return ctx.printJson(rule);
    ctx.out(`Built-in alert ${rule.builtin} is ${rule.enabled ? 'on' : 'off'}.`);
  },
};

const notifiers: Command = {
  name: 'notifiers',
  summary: 'Where alerts can go: webhooks, e-mail addresses',
  json: true,
  examples: ['scalarium notifiers'],
  async run(ctx) {
    const list = await (await ctx.api()).get<NotifierView[]>('/api/notifiers');
    if (ctx.json) return ctx.printJson(list);
    ctx.out(list.length
      ? table(['NAME', 'KIND', 'SENDS TO', 'DEFAULT'], list.map((n) => [n.name, n.kind, n.sendsTo, n.default ? 'yes' : '']))
      : 'No notifiers yet: an admin adds one with `scalarium notifiers:add slack --webhook URL` or `scalarium notifiers:add ops --email ADDRESS`.');
  },
};

const notifiersAdd: Command = {
  name: 'notifiers:add',
  summary: 'Add a notifier (admin): a Slack-compatible or JSON webhook, or e-mail through the server\'s SMTP',
  args: 'NAME',
  positionals: { min: 1, max: 1 },
  json: true,
  options: {
    webhook: { type: 'string', value: 'URL', description: 'POST each alert to this URL' },
    format: { type: 'string', value: 'slack|json', description: 'webhook body: {"text": …} (slack, default) or the whole alert (json)' },
    email: { type: 'string', value: 'ADDRESS', description: 'mail each alert to this address (SMTP settings are the server\'s)' },
    default: { type: 'boolean', description: 'built-in alerts and rules without --notify go here' },
  },
  description: 'The webhook URL is stored encrypted and never shown again (its path is hidden); e-mail goes through the server\'s SMTP settings (SCALARIUM_SMTP_URL, SCALARIUM_SMTP_FROM).',
  examples: ['scalarium notifiers:add slack --webhook https://hooks.example.org/T000/B000 --default', 'scalarium notifiers:add ops --email ops@example.org'],
  async run(ctx) {
    const webhook = ctx.string('webhook');
    const email = ctx.string('email');
    if ((webhook === undefined) === (email === undefined)) throw ctx.usage('Give --webhook URL or --email ADDRESS.');
    const body = webhook !== undefined
      ? { name: ctx.positionals[0], kind: 'webhook', webhook, ...(ctx.string('format') ? { format: ctx.string('format') } : {}), default: ctx.flag('default') }
      : { name: ctx.positionals[0], kind: 'email', email, default: ctx.flag('default') };
    const n = await (await ctx.api()).post<NotifierView>('/api/notifiers', body);
    if (ctx.json) return ctx.printJson(n);
    ctx.out(`Added notifier ${n.name} (${n.kind}): sends to ${n.sendsTo}${n.default ? ', by default' : ''}. Try it: scalarium notifiers:test ${n.name}`);
  },
};

const notifiersRemove: Command = {
  name: 'notifiers:remove',
  summary: 'Remove a notifier (admin)',
  args: 'NAME',
  positionals: { min: 1, max: 1 },
  examples: ['scalarium notifiers:remove slack'],
  async run(ctx) {
    await (await ctx.api()).delete(`/api/notifiers/${encodeURIComponent(ctx.positionals[0]!)}`);
    ctx.out(`Removed notifier ${ctx.positionals[0]}.`);
  },
};

const notifiersTest: Command = {
  name: 'notifiers:test',
  summary: 'Send a test message through a notifier now (admin)',
  args: 'NAME',
  positionals: { min: 1, max: 1 },
  examples: ['scalarium notifiers:test slack'],
  async run(ctx) {
    const name = ctx.positionals[0]!;
    const result = await (await ctx.api()).post<{ sent: boolean; error?: string }>(`/api/notifiers/${encodeURIComponent(name)}/test`, {});
    if (result.sent) return ctx.out(`A test message went to ${name}.`);
    ctx.err(`The test message could not be sent through ${name}: ${result.error}`);
    return 1;
  },
};

export const commands: Command[] = [alerts, add, remove, history, builtin, notifiers, notifiersAdd, notifiersRemove, notifiersTest];
