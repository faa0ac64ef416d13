// scalarium usage, usage:prices and usage:prices:set: a month's usage and cost, and the price
// table (listed by the CLI through plugins/builtin-cli.ts).
import type { z } from 'zod';
import type { Command, Context } from '../../cli/command.ts';
import { table } from '../../cli/output.ts';
// Types only: the compiled CLI carries no server code.
import type { AppRow, ClusterRow, UsageReport, UserRow } from './report.ts';
import type { PriceTable } from './prices.ts';
import type { pricesBody } from './bodies.ts';

const hours = (seconds: number): string => (seconds / 3600).toFixed(2);
const money = (amount: number): string => amount.toFixed(2);

function query(ctx: Context, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const name of ['month', 'by'] as const) {
    const value = ctx.string(name);
    if (value !== undefined) params.set(name, value);
  }
  for (const [k, v] of Object.entries(extra)) params.set(k, v);
  const text = params.toString();
  return text ? `?${text}` : '';
}

function print(ctx: Context, report: UsageReport): void {
  const c = report.currency;
  ctx.out(`Usage of ${report.month} by ${report.by}, ${report.from.slice(0, 19).replace('T', ' ')} – ${report.to.slice(0, 19).replace('T', ' ')} UTC (${c})`);
  if (!report.rows.length) {
    ctx.out('Nothing you may see ran in this month.');
    return;
  }
  if (report.by === 'app') {
    const rows = (report.rows as AppRow[]).map((a) => [
      `${a.app}${a.destroyed ? ' (destroyed)' : ''}`, a.cluster, a.owner, hours(a.processSeconds),
      a.processTypes.map((p) => `${p.type}=${hours(p.seconds)}`).join(' '), money(a.cost),
    ]);
    ctx.out(table(['APP', 'CLUSTER', 'OWNER', 'HOURS', 'PER TYPE', `COST ${c}`], rows));
  } else if (report.by === 'cluster') {
    const rows = (report.rows as ClusterRow[]).map((k) => [
      `${k.cluster}${k.destroyed ? ' (destroyed)' : ''}`, hours(k.instanceSeconds),
      k.instances.map((i) => `${i.role}/${i.instanceType}${i.priced ? '' : '(no price)'}=${hours(i.seconds)}`).join(' '), money(k.cost), money(k.processCost),
    ]);
    ctx.out(table(['CLUSTER', 'INSTANCE HOURS', 'PER ROLE/TYPE', `COST ${c}`, `APPS' PROCESSES ${c}`], rows));
  } else {
    const rows = (report.rows as UserRow[]).map((u) => [u.user, String(u.apps.length), hours(u.processSeconds), money(u.cost)]);
    ctx.out(table(['USER', 'APPS', 'HOURS', `COST ${c}`], rows));
  }
  ctx.out(`Total: ${money(report.total.cost)} ${c}`);
}

const usage: Command = {
  name: 'usage',
  summary: 'Instance and process hours and their cost for a month, by app, cluster or user',
  json: true,
  options: {
    month: { type: 'string', value: 'YYYY-MM', description: 'the month (UTC), e.g. 2026-11 (default: this month)' },
    by: { type: 'string', value: 'WHAT', description: 'app (default), cluster or user' },
    csv: { type: 'boolean', description: 'print CSV (one line per process type, instance role/type or app) for a spreadsheet' },
  },
  description: 'You see the apps and clusters you may read; admins see everything. Prices: `scalarium usage:prices`.',
  examples: ['scalarium usage', 'scalarium usage --month 2026-11 --by cluster', 'scalarium usage --by user --csv > usage.csv'],
  async run(ctx) {
    if (ctx.flag('csv') && ctx.json) throw ctx.usage('Give --csv or --json, not both.');
    if (ctx.flag('csv')) {
      ctx.io.stdout.write(await (await ctx.api()).text(`/api/usage${query(ctx, { format: 'csv' })}`));
      return;
    }
    const report = await (await ctx.api()).get<UsageReport>(`/api/usage${query(ctx)}`);
    if (ctx.json) return ctx.printJson(report);
    print(ctx, report);
  },
};

function printPrices(ctx: Context, prices: PriceTable): void {
  if (ctx.json) return ctx.printJson(prices);
  ctx.out(`Prices per hour in ${prices.month} (${prices.currency})`);
  const rows = [
    ...prices.instanceTypes.map((p) => ['instance type', p.name, String(p.perHour), p.source === 'operator' ? `set from ${p.fromMonth}` : 'default']),
    ...prices.sizes.map((p) => ['process size', p.name, String(p.perHour), p.source === 'operator' ? `set from ${p.fromMonth}` : 'default']),
  ];
  ctx.out(table(['KIND', 'NAME', 'PER HOUR', 'SOURCE'], rows));
}

const prices: Command = {
  name: 'usage:prices',
  summary: 'The prices per instance type and process size that hold in a month',
  json: true,
  options: { month: { type: 'string', value: 'YYYY-MM', description: 'the month (default: this month)' } },
  examples: ['scalarium usage:prices', 'scalarium usage:prices --month 2026-11'],
  async run(ctx) {
    const month = ctx.string('month');
    printPrices(ctx, await (await ctx.api()).get<PriceTable>(`/api/usage/prices${month === undefined ? '' : `?month=${encodeURIComponent(month)}`}`));
  },
};

const PRICE = /^(\d{1,5})(\.\d{1,6})?$/;

const setPrices: Command = {
  name: 'usage:prices:set',
  summary: 'Set prices per hour of instance types (or, with --size, process sizes) from a month on (admins)',
  args: 'NAME=PRICE...',
  positionals: { min: 1, max: 50 },
  json: true,
  options: {
    size: { type: 'boolean', description: 'the names are process sizes (today only "standard"), not instance types' },
    from: { type: 'string', value: 'YYYY-MM', description: 'the month the prices hold from (default: this month); earlier months keep theirs' },
  },
  description: 'NAME= (no price) removes the price set from that month: the one before it, or the default, holds again.',
  examples: ['scalarium usage:prices:set t3.micro=0.0104 m5.large=0.096', 'scalarium usage:prices:set --size standard=0.035 --from 2026-12', 'scalarium usage:prices:set local='],
  async run(ctx) {
    const entries: Record<string, number | null> = {};
    for (const arg of ctx.positionals) {
      const at = arg.indexOf('=');
      const name = at > 0 ? arg.slice(0, at) : '';
      const value = arg.slice(at + 1);
      if (!name || (value !== '' && !PRICE.test(value))) {
        throw ctx.usage(`${JSON.stringify(arg)} is not NAME=PRICE.`, 'Give a name and a price per hour in US dollars, e.g. t3.micro=0.0104 (or t3.micro= to remove it).');
      }
      entries[name] = value === '' ? null : Number(value);
    }
    const from = ctx.string('from');
    const body = {
      ...(from === undefined ? {} : { from }),
      ...(ctx.flag('size') ? { sizes: entries } : { instanceTypes: entries }),
    } satisfies z.input<typeof pricesBody>;
    printPrices(ctx, await (await ctx.api()).put<PriceTable>('/api/usage/prices', body));
  },
};

export const commands: Command[] = [usage, prices, setPrices];
