// drains, drains:add and drains:remove: an app's (or with --cluster, a cluster's) log drains, their
// state and counters (listed by the CLI through plugins/builtin-cli.ts).
import type { z } from 'zod';
import type { Command, Context } from '../../cli/command.ts';
import { formatTime, table } from '../../cli/output.ts';
// Types only, and redact.ts, which imports nothing: the compiled CLI carries no server code.
import type { drainBody } from './bodies.ts';
import type { DrainView } from './views.ts';
import { redactUrl } from './redact.ts';

const CLUSTER = { type: 'string', value: 'NAME', description: 'the drains of a cluster (every app of it) instead of one app\'s' } as const;

/** `/api/clusters/NAME/drains…` with --cluster, else the app's. */
async function drainsPath(ctx: Context, suffix = ''): Promise<string> {
  const cluster = ctx.string('cluster');
  if (cluster !== undefined && ctx.string('app') !== undefined) throw ctx.usage('Give --app or --cluster, not both.');
  if (cluster !== undefined) return `/api/clusters/${encodeURIComponent(cluster)}/drains${suffix}`;
  return ctx.appPath(`/drains${suffix}`);
}

function ownerOf(drain: Pick<DrainView, 'app' | 'cluster'>): string {
  return drain.app !== undefined ? `app ${drain.app}` : `cluster ${drain.cluster}`;
}

function stateOf(drain: DrainView): string {
  if (drain.state !== 'failing') return drain.state;
  return drain.retryAt ? `failing, retry ${formatTime(drain.retryAt)}` : 'failing';
}

const list: Command = {
  name: 'drains',
  summary: "The app's log drains with their state: delivered and dropped messages, backlog, last error",
  app: true,
  json: true,
  options: { cluster: CLUSTER },
  description: 'Counters count messages (a long line is split into several) since the server started. URLs are shown with their credentials as ***.',
  examples: ['scalarium drains', 'scalarium drains --app shop', 'scalarium drains --cluster prod'],
  async run(ctx) {
    const drains = await (await ctx.api()).get<DrainView[]>(await drainsPath(ctx));
    if (ctx.json) return ctx.printJson(drains);
    if (!drains.length) return ctx.out('No drains. Add one with `scalarium drains:add syslog+tls://HOST:PORT`.');
    ctx.out(table(['TOKEN', 'URL', 'FORMAT', 'STATE', 'DELIVERED', 'DROPPED', 'BACKLOG', 'LAST ERROR'], drains.map((d) => [
      d.token, d.url, d.format, stateOf(d), String(d.delivered), String(d.dropped), String(d.backlog),
      d.lastError ? `${formatTime(d.lastError.at)}: ${d.lastError.message}` : '',
    ])));
  },
};

const add: Command = {
  name: 'drains:add',
  summary: "Send the app's logs (or with --cluster, every app's of a cluster) to a syslog or HTTPS drain too",
  args: 'URL',
  positionals: { min: 1, max: 1 },
  app: true,
  json: true,
  options: {
    cluster: CLUSTER,
    format: { type: 'string', value: 'FORMAT', description: 'for https drains: logplex (default, as Heroku) or json (one object per line)' },
  },
  description: 'URL: syslog://HOST:PORT (RFC 5424 over TCP), syslog+tls://HOST:PORT (over TLS) or https://[USER:PASSWORD@]HOST/PATH.',
  examples: [
    'scalarium drains:add syslog+tls://logs.example.org:6514 --app shop',
    'scalarium drains:add https://user:secret@logs.example.org/drain --format json',
    'scalarium drains:add syslog://logs.example.org:514 --cluster prod',
  ],
  async run(ctx) {
    const format = ctx.string('format');
    const body = { url: ctx.positionals[0]!, ...(format === undefined ? {} : { format }) } as z.input<typeof drainBody>;
    const drain = await (await ctx.api()).post<DrainView>(await drainsPath(ctx), body);
    if (ctx.json) return ctx.printJson(drain);
    ctx.out(`Logs of ${ownerOf(drain)} now also drain to ${drain.url} (${drain.format}), token ${drain.token}.`);
  },
};

const remove: Command = {
  name: 'drains:remove',
  summary: 'Stop sending logs to a drain',
  args: 'TOKEN|URL',
  positionals: { min: 1, max: 1 },
  app: true,
  json: true,
  options: { cluster: CLUSTER },
  description: 'TOKEN is the drain\'s d.… token (`scalarium drains` lists them); a URL works too when it names one drain.',
  examples: ['scalarium drains:remove d.2b1f6f8e-1b7e-4c8e-9a55-5c1c1c3f2d10', 'scalarium drains:remove syslog+tls://logs.example.org:6514 --app shop'],
  async run(ctx) {
    const given = ctx.positionals[0]!;
    let token = given;
    if (!given.startsWith('d.')) {
      // The server shows URLs redacted only: compare in that form, and insist on exactly one match.
      const shown = redactUrl(given);
      const drains = await (await ctx.api()).get<DrainView[]>(await drainsPath(ctx));
      const matches = drains.filter((d) => d.url === shown || redactUrl(d.url) === shown);
      if (matches.length !== 1) {
        throw ctx.usage(matches.length ? `${matches.length} drains match ${shown}.` : `No drain matches ${shown}.`, 'Give the drain\'s token instead: `scalarium drains` lists them.');
      }
      token = matches[0]!.token;
    }
    const drain = await (await ctx.api()).delete<DrainView>(await drainsPath(ctx, `/${encodeURIComponent(token)}`));
    if (ctx.json) return ctx.printJson(drain);
    ctx.out(`Logs of ${ownerOf(drain)} no longer drain to ${drain.url}.`);
  },
};

export const commands: Command[] = [list, add, remove];
