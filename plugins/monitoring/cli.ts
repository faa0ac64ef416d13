// scalarium metrics: an app's traffic, latency and process usage, or a cluster's instances, over
// a range — one line per series with its latest, average and peak values and a sparkline
// (listed by the CLI through plugins/builtin-cli.ts).
import type { Command, Context } from '../../cli/command.ts';
import { table } from '../../cli/output.ts';
import { formatTableValue, sparkline } from '../../cli/sparkline.ts';
// Types only: the compiled CLI carries no server code.
import type { MetricsAnswer } from './views.ts';

const SPARK_WIDTH = 40;

function labelsOf(labels: Record<string, string>): string {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(' ');
}

function print(ctx: Context, answer: MetricsAnswer): void {
  if (ctx.json) return ctx.printJson(answer);
  const of = 'app' in answer ? `app ${answer.app}` : `cluster ${answer.cluster}`;
  ctx.out(`Metrics of ${of}, ${answer.from} – ${answer.to} (${answer.stepMs / 1000} s points)`);
  const rows = answer.series.map((s) => {
    const values = s.points.map(([, v]) => v);
    const known = values.filter((v): v is number => v !== null);
    const avg = known.length ? known.reduce((a, b) => a + b, 0) / known.length : null;
    const max = known.length ? Math.max(...known) : null;
    return [s.name, labelsOf(s.labels), formatTableValue(known.at(-1) ?? null, s.unit), formatTableValue(avg, s.unit), formatTableValue(max, s.unit), sparkline(values, SPARK_WIDTH)];
  });
  if (!rows.length) {
    ctx.out('No data for this range yet: instances report every 10 s once they run.');
    return;
  }
  ctx.out(table(['SERIES', 'LABELS', 'LATEST', 'AVG', 'MAX', 'TREND'], rows));
}

const metrics: Command = {
  name: 'metrics',
  summary: "An app's requests/s, 5xx rate, p50/p95/p99 and process CPU and memory; or a cluster's instances",
  app: true,
  json: true,
  options: {
    cluster: { type: 'string', value: 'NAME', description: 'a cluster\'s load, CPU, memory and disk per instance and role instead' },
    since: { type: 'string', value: 'RANGE', description: 'how far back: 1h (default), 6h, 1d, 7d, 30d or e.g. 90m, 12h, 400d' },
  },
  description: 'Graphs of the same series are on the app\'s and the cluster\'s Metrics tab in the web UI.',
  examples: ['scalarium metrics', 'scalarium metrics --app shop --since 7d', 'scalarium metrics --cluster prod --since 1d'],
  async run(ctx) {
    const since = ctx.string('since');
    const query = since ? `?since=${encodeURIComponent(since)}` : '';
    const cluster = ctx.string('cluster');
    if (cluster !== undefined && ctx.string('app') !== undefined) throw ctx.usage('Give --app or --cluster, not both.');
    const answer = cluster !== undefined
      ? await (await ctx.api()).get<MetricsAnswer>(`/api/clusters/${encodeURIComponent(cluster)}/metrics${query}`)
      : await ctx.appGet<MetricsAnswer>(`/metrics${query}`);
    print(ctx, answer);
  },
};

export const commands: Command[] = [metrics];
