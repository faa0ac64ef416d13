// events: the lifecycle event runs of a cluster (setup, configure, deploy, undeploy, shutdown), one
// per instance, newest first; --verbose adds each run's hook output.
import type { Command } from '../command.ts';
import { formatTime, table } from '../output.ts';
import { checkName } from '../scopes.ts';
import type { EventRun } from '../types.ts';
import { clusterPath, withClusterHint } from './clusters.ts';

/** The most runs the API returns at once (server/http/api/clusters.ts). */
const MAX_LIMIT = 1000;

/** 812 → "812 ms", 4230 → "4.2 s", 125000 → "2m 5s"; nothing yet → "-". */
export function formatDuration(ms: number | null | undefined): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}m ${seconds % 60}s`;
}

/** Hook output made safe for a terminal: no escape sequences or control characters but tabs. */
export function cleanOutput(text: string): string {
  return text
    .replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '')
    .replace(/\r\n?/g, '\n')
    .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '');
}

function oneLine(text: string | null | undefined): string {
  if (!text) return '-';
  return cleanOutput(text).replace(/\s*\n\s*/g, ' ').trim() || '-';
}

const events: Command = {
  name: 'events',
  aliases: ['events:list'],
  summary: 'Show the lifecycle event runs of a cluster, per instance, newest first',
  options: {
    cluster: { type: 'string', short: 'c', value: 'NAME', description: 'the cluster (required)' },
    limit: { type: 'string', short: 'n', value: 'N', description: `at most N runs (default 100, at most ${MAX_LIMIT})` },
    verbose: { type: 'boolean', description: 'print each run\'s output (the hooks\' stdout and stderr) under it, indented' },
  },
  json: true,
  description:
    'Events: setup (a new instance), configure (membership changed), deploy, undeploy (an app left),\n' +
    'shutdown (before termination). STATUS is running, succeeded, failed or superseded; REASON says\n' +
    'why a run failed or was superseded. --json prints the runs as the API returns them, output included.',
  examples: [
    'scalarium events --cluster prod',
    'scalarium events -c prod -n 20 --verbose',
    'scalarium events --cluster prod --json',
  ],
  async run(ctx) {
    const given = ctx.string('cluster');
    if (given === undefined) throw ctx.usage('Missing --cluster NAME.', 'Run `scalarium clusters` to list clusters.');
    const cluster = checkName(ctx, 'cluster', given);
    const limit = ctx.string('limit');
    if (limit !== undefined && (!/^\d{1,7}$/.test(limit) || Number(limit) === 0 || Number(limit) > MAX_LIMIT)) {
      throw ctx.usage(`--limit must be a whole number from 1 to ${MAX_LIMIT}, got ${JSON.stringify(limit)}.`);
    }
    const api = await ctx.api();
    const runs = await withClusterHint(api.get<EventRun[]>(clusterPath(cluster, '/events'), {
      limit: limit === undefined ? undefined : Number(limit),
    }));
    if (ctx.json) return ctx.printJson(runs);
    if (runs.length === 0) {
      ctx.out(`No lifecycle events on cluster ${cluster} yet.`);
      return;
    }
    const rows = runs.map((run) => [
      formatTime(run.startedAt) || '-',
      run.event,
      run.instanceId || '-',
      run.app || '-',
      run.status,
      run.status === 'running' ? '-' : formatDuration(run.durationMs),
      oneLine(run.reason),
    ]);
    const lines = table(['AT', 'EVENT', 'INSTANCE', 'APP', 'STATUS', 'DURATION', 'REASON'], rows).split('\n');
    if (!ctx.flag('verbose')) {
      ctx.out(lines.join('\n'));
      return;
    }
    const out = [lines[0]];
    runs.forEach((run, index) => {
      out.push(lines[index + 1]);
      const output = cleanOutput(run.output ?? '').replace(/\n+$/, '');
      if (output.trim() === '') out.push(run.status === 'running' ? '    (no output yet)' : '    (no output)');
      else out.push(...output.split('\n').map((line) => `    ${line}`.trimEnd()));
    });
    ctx.out(out.join('\n'));
  },
};

export const commands: Command[] = [events];
