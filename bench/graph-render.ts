// Rendering of the admin UI's graphs (server/http/ui/graph.ts) at their largest: a week of 10 s
// samples, 60,480 points per series, as an app's metrics page draws it. No server; prints figures,
// no thresholds.
//
//   npx tsx bench/graph-render.ts [--runs 50] [--series 3]
import { renderGraph, type GraphSeries } from '../server/http/ui/graph.ts';
import { fmt, intArg, isMain, load, machine, printTable, stats } from './lib.ts';

const STEP_MS = 10_000;
const WEEK_MS = 7 * 24 * 3600_000;

export function graphRender(options: { runs: number; series: number }): void {
  const { runs } = options;
  const to = Date.UTC(2024, 0, 8);
  const from = to - WEEK_MS;
  const n = WEEK_MS / STEP_MS;
  // Noisy daily waves with a few missing samples, so gaps and min/max columns are exercised.
  const series: GraphSeries[] = Array.from({ length: options.series }, (_, s) => ({
    label: `web.${s + 1}`,
    points: Array.from({ length: n }, (_, i) => ({
      at: from + i * STEP_MS,
      value: i % 5000 === 17 ? null : 100 + 60 * Math.sin(i / 1375 + s) + ((i * 7919) % 23),
    })),
  }));
  console.log(`\n== graph-render: a week of 10 s points, ${options.series} series × ${n} points, ${runs} renders ==`);
  console.log(`machine: ${machine()}`);
  console.log(`load average before: ${load()}`);
  const render = () => renderGraph({ title: 'Requests', unit: 'per_second', from, to, stepMs: STEP_MS, series });
  for (let i = 0; i < 5; i++) render(); // warm-up: JIT
  const times: number[] = [];
  let svg = '';
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    svg = render();
    times.push(performance.now() - started);
  }
  const drawn = [...svg.matchAll(/data-points="(\d+)"/g)].map((m) => Number(m[1]));
  const s = stats(times);
  console.log('\nrenderGraph (ms):');
  printTable([['measure', 'median', 'min', 'max', 'n'], [`${options.series} series, one week`, fmt(s.median, 1), fmt(s.min, 1), fmt(s.max, 1), s.n]]);
  console.log(`SVG: ${(svg.length / 1024).toFixed(1)} KiB, points drawn per series: ${drawn.join(', ')} (of ${n})`);
  console.log(`load average after: ${load()}`);
}

if (isMain(import.meta.url)) {
  const argv = process.argv.slice(2);
  graphRender({ runs: intArg(argv, 'runs', 50), series: intArg(argv, 'series', 3) });
}
