// renderGraph's SVG read back with regular expressions: axis labels, paths and their data
// attributes, the legend, escaping, and the downsampling of long ranges; formatValue's words.
import test from 'ava';
import { formatValue, renderGraph, type GraphOptions, type GraphSeries } from './graph.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const MONDAY = Date.UTC(2024, 0, 1); // Monday 1 January 2024, 00:00 UTC

const texts = (svg: string, cls: string) => [...svg.matchAll(new RegExp(`<text class="${cls}"[^>]*>([^<]*)</text>`, 'g'))].map((m) => m[1]);
const paths = (svg: string) => [...svg.matchAll(/<path class="series" data-label="([^"]*)" data-points="(\d+)" d="([^"]*)"[^>]*stroke="([^"]*)"/g)]
  .map((m) => ({ label: m[1], points: Number(m[2]), d: m[3]!, stroke: m[4] }));
const vertices = (d: string) => [...d.matchAll(/[ML](-?[\d.]+) (-?[\d.]+)/g)].map((m) => ({ x: Number(m[1]), y: Number(m[2]) }));
const subpaths = (d: string) => (d.match(/M/g) ?? []).length;

/** Points every `stepMs` from `from`, n of them, with values from `value(i)`. */
function points(from: number, stepMs: number, n: number, value: (i: number) => number | null = (i) => i): GraphSeries['points'] {
  return Array.from({ length: n }, (_, i) => ({ at: from + i * stepMs, value: value(i) }));
}

function graph(options: Partial<GraphOptions> & Pick<GraphOptions, 'series'>): string {
  return renderGraph({ title: 'Requests', unit: 'per_second', from: MONDAY, to: MONDAY + HOUR, stepMs: 10_000, ...options });
}

test('an hour has a tick every 10 minutes, labelled HH:MM in UTC', (t) => {
  const series = [{ label: 'web', points: points(MONDAY + 10 * HOUR, 10_000, 360) }];
  t.deepEqual(texts(graph({ from: MONDAY + 10 * HOUR, to: MONDAY + 11 * HOUR, series }), 'tick-x'),
    ['10:00', '10:10', '10:20', '10:30', '10:40', '10:50', '11:00']);
  // Ticks stay on round times when the range does not start on one.
  t.deepEqual(texts(graph({ from: MONDAY + 10 * HOUR + 3 * MIN, to: MONDAY + 11 * HOUR + 3 * MIN, series }), 'tick-x'),
    ['10:10', '10:20', '10:30', '10:40', '10:50', '11:00']);
});

test('a day has a tick every 3 hours', (t) => {
  const svg = graph({ from: MONDAY, to: MONDAY + DAY, stepMs: MIN, series: [{ label: 'web', points: points(MONDAY, MIN, 1440) }] });
  t.deepEqual(texts(svg, 'tick-x'), ['00:00', '03:00', '06:00', '09:00', '12:00', '15:00', '18:00', '21:00', '00:00']);
});

test('a week has a tick a day, labelled with weekday and date, across a month end', (t) => {
  const series = [{ label: 'web', points: points(MONDAY, HOUR, 7 * 24) }];
  t.deepEqual(texts(graph({ from: MONDAY, to: MONDAY + 7 * DAY, stepMs: HOUR, series }), 'tick-x'),
    ['Mon 1', 'Tue 2', 'Wed 3', 'Thu 4', 'Fri 5', 'Sat 6', 'Sun 7', 'Mon 8']);
  const thursday = Date.UTC(2023, 11, 28, 12);
  t.deepEqual(texts(graph({ from: thursday, to: thursday + 7 * DAY, stepMs: HOUR, series }), 'tick-x'),
    ['Fri 29', 'Sat 30', 'Sun 31', 'Mon 1', 'Tue 2', 'Wed 3', 'Thu 4']);
});

test('the y axis goes from 0 to a nice max in 1-2-5 steps, labelled in the unit', (t) => {
  const yOf = (max: number, unit: GraphOptions['unit']) =>
    texts(graph({ unit, series: [{ label: 'a', points: [{ at: MONDAY, value: 0 }, { at: MONDAY + 10_000, value: max }] }] }), 'tick-y');
  t.deepEqual(yOf(87, 'per_second'), ['0', '20 req/s', '40 req/s', '60 req/s', '80 req/s', '100 req/s']);
  t.deepEqual(yOf(101, 'per_second'), ['0', '50 req/s', '100 req/s', '150 req/s']);
  t.deepEqual(yOf(45, 'percent'), ['0', '10 %', '20 %', '30 %', '40 %', '50 %']);
  t.deepEqual(yOf(0.75, 'load'), ['0', '0.2', '0.4', '0.6', '0.8']);
  t.deepEqual(yOf(1800, 'ms'), ['0', '500 ms', '1 s', '1.5 s', '2 s']);
  t.deepEqual(yOf(700 * 2 ** 20, 'bytes'), ['0', '200 MiB', '400 MiB', '600 MiB', '800 MiB']);
  // Just under a GiB: quarters of it, not 0..1500 MiB.
  t.deepEqual(yOf(1010 * 2 ** 20, 'bytes'), ['0', '256 MiB', '512 MiB', '768 MiB', '1 GiB']);
});

test('a null or a gap over 1.5 steps starts a new subpath; data-points counts the points drawn', (t) => {
  const gap = [...points(MONDAY, 10_000, 6), ...points(MONDAY + 10 * MIN, 10_000, 6)];
  const withNull = points(MONDAY, 10_000, 12, (i) => (i === 5 ? null : i));
  const late = [{ at: MONDAY, value: 1 }, { at: MONDAY + 15_000, value: 2 }, { at: MONDAY + 31_000, value: 3 }, { at: MONDAY + 41_000, value: 4 }];
  const [a, b, c, d] = paths(graph({ series: [
    { label: 'gap', points: gap }, { label: 'null', points: withNull }, { label: 'late', points: late }, { label: 'steady', points: points(MONDAY, 10_000, 12) },
  ] }));
  t.is(subpaths(a!.d), 2);
  t.is(a!.points, 12);
  t.is(subpaths(b!.d), 2);
  t.is(b!.points, 11);
  t.is(subpaths(c!.d), 2, 'a 15 s gap is within 1.5 steps, a 16 s one is not');
  t.is(subpaths(d!.d), 1);
  t.is(vertices(d!.d).length, d!.points);
});

test('a point alone between gaps is drawn as a dot and counted', (t) => {
  const lonely = [...points(MONDAY, 10_000, 3), { at: MONDAY + 20 * MIN, value: 5 }, ...points(MONDAY + 40 * MIN, 10_000, 3)];
  const svg = graph({ series: [{ label: 'web', points: lonely }] });
  const [web] = paths(svg);
  t.is(subpaths(web!.d), 2);
  t.is(web!.points, 7);
  t.is((svg.match(/<circle class="point" data-label="web"/g) ?? []).length, 1);
});

test('labels and titles from users are escaped everywhere', (t) => {
  const label = `<script>alert(1)</script>&"'\u0007`;
  const svg = renderGraph({ title: `shop <b>&"'`, unit: 'count', from: MONDAY, to: MONDAY + HOUR, stepMs: 10_000, series: [{ label, points: points(MONDAY, 10_000, 3) }] });
  t.false(svg.includes('<script>'));
  t.false(svg.includes('<b>'));
  t.false(svg.includes('\u0007'));
  t.true(svg.includes('data-label="&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;&#39;"'));
  t.true(svg.includes('<title>shop &lt;b&gt;&amp;&quot;&#39;</title>'));
  t.false(svg.replace(/&(amp|lt|gt|quot|#39);/g, '').includes('&'), 'every & starts an entity');
});

test('no point in the range: "No data for this range" and no path', (t) => {
  for (const series of [[], [{ label: 'web', points: [] }], [{ label: 'web', points: points(MONDAY, 10_000, 5, () => null) }],
    [{ label: 'web', points: points(MONDAY - DAY, 10_000, 5) }]]) {
    const svg = graph({ series });
    t.true(svg.includes('No data for this range'));
    t.deepEqual(paths(svg), []);
    t.true(svg.startsWith('<svg ') && svg.endsWith('</svg>'));
  }
});

test('several series: distinct colours, a legend with each label and its latest value', (t) => {
  const svg = graph({ series: [
    { label: 'web', points: points(MONDAY, 10_000, 10, (i) => i + 1) },
    { label: 'worker', points: points(MONDAY, 10_000, 10, (i) => (i === 9 ? null : 2.5)) },
    { label: 'clock', points: [] },
  ] });
  const drawn = paths(svg);
  t.deepEqual(drawn.map((p) => p.label), ['web', 'worker', 'clock']);
  t.is(new Set(drawn.map((p) => p.stroke)).size, 3);
  const legend = [...svg.matchAll(/<g class="legend-item" data-label="([^"]*)"><rect [^>]*fill="([^"]*)"\/><text[^>]*>([^<]*)<tspan class="latest"[^>]*>([^<]*)</g)]
    .map((m) => ({ label: m[1], fill: m[2], text: m[3]!.trim(), latest: m[4] }));
  t.deepEqual(legend.map(({ label, text, latest }) => ({ label, text, latest })), [
    { label: 'web', text: 'web', latest: '10 req/s' },
    { label: 'worker', text: 'worker', latest: '2.5 req/s' },
    { label: 'clock', text: 'clock', latest: 'no data' },
  ]);
  t.deepEqual(legend.map((l) => l.fill), drawn.map((p) => p.stroke));
});

test('accessible: role="img", an aria-label with the latest values and a <title>', (t) => {
  const svg = graph({ series: [{ label: 'web', points: points(MONDAY, 10_000, 3, () => 12.3) }] });
  t.regex(svg, /^<svg [^>]*role="img"/);
  t.regex(svg, /^<svg [^>]*aria-label="Requests: web 12.3 req\/s"/);
  t.regex(svg, /<title>Requests<\/title>/);
});

test('the same graph renders to the same text; clip ids come from options.id or the title', (t) => {
  const series = [{ label: 'web', points: points(MONDAY, 10_000, 100, (i) => Math.sin(i)) }];
  t.is(graph({ series }), graph({ series }));
  const clip = (svg: string) => /<clipPath id="([^"]+)"/.exec(svg)![1];
  t.is(clip(graph({ series, id: 'app-shop-rps' })), 'app-shop-rps-plot');
  t.not(clip(graph({ series, title: 'Requests' })), clip(graph({ series, title: 'Latency' })));
  // Out-of-order points draw as if sorted.
  t.is(graph({ series: [{ label: 'web', points: [...series[0]!.points].reverse() }] }), graph({ series }));
});

test('a week of 10 s points draws under 2 points per pixel, and its one-sample peak survives', (t) => {
  const n = 7 * 24 * 360;
  t.is(n, 60_480);
  const week = points(MONDAY, 10_000, n, (i) => (i === 30_000 ? 900 : 100 + 50 * Math.sin(i / 500)));
  const svg = renderGraph({ title: 'Requests', unit: 'per_second', from: MONDAY, to: MONDAY + 7 * DAY, stepMs: 10_000, series: [{ label: 'web', points: week }] });
  const [web] = paths(svg);
  const drawn = vertices(web!.d);
  t.true(drawn.length < 2 * 720, `${drawn.length} points drawn`);
  t.is(web!.points, drawn.length);
  t.is(subpaths(web!.d), 1);
  // 900 on a 0..1000 axis: the highest vertex is 90 % of the way up.
  t.deepEqual(texts(svg, 'tick-y').at(-1), '1k req/s');
  const ys = drawn.map((v) => v.y);
  const [top, bottom] = [Math.min(...ys), Math.max(...ys)];
  t.true(top < 60, `peak drawn at y=${top}`);
  t.true(bottom > top + 100);
});

test('formatValue', (t) => {
  const cases: Array<[number, GraphOptions['unit'], string]> = [
    [12.34, 'per_second', '12.3 req/s'], [1500, 'per_second', '1.5k req/s'], [0.004, 'per_second', '0.004 req/s'],
    [87, 'ms', '87 ms'], [1200, 'ms', '1.2 s'], [1000, 'ms', '1 s'], [999.7, 'ms', '1 s'], [0.5, 'ms', '0.5 ms'],
    [45, 'percent', '45 %'], [99.5, 'percent', '99.5 %'],
    [512 * 2 ** 20, 'bytes', '512 MiB'], [1536, 'bytes', '1.5 KiB'], [0, 'bytes', '0'], [1023, 'bytes', '1023 B'], [3 * 2 ** 30, 'bytes', '3 GiB'],
    [0.75, 'load', '0.75'], [2.346, 'load', '2.35'], [0, 'load', '0'],
    [7, 'count', '7'], [1234, 'count', '1.23k'], [2_500_000, 'count', '2.5M'], [0, 'ms', '0'],
  ];
  for (const [value, unit, words] of cases) t.is(formatValue(value, unit), words, `${value} ${unit}`);
});

test('a long label is shortened in the legend, whole in data-label; many series wrap the legend and grow the graph', (t) => {
  const long = `worker-${'x'.repeat(93)}`;
  const svg = graph({ series: Array.from({ length: 30 }, (_, i) => ({ label: i ? `process-type-${i}` : long, points: points(MONDAY, 10_000, 3) })) });
  t.true(svg.includes(`data-label="${long}"`));
  t.true(svg.includes(`>${long.slice(0, 39)}… <tspan`));
  const height = Number(/^<svg [^>]*height="(\d+)"/.exec(svg)![1]);
  t.true(height > 220, `height ${height}`);
});
