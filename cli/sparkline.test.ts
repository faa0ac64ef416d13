// sparkline's characters and resampling, formatTableValue's words (the same as the web UI's
// graphs), and that cli/sparkline.ts stays free of server code for the compiled CLI.
import test from 'ava';
import { readFile } from 'node:fs/promises';
import { formatValue, type GraphUnit } from '../server/http/ui/graph.ts';
import { formatTableValue, sparkline } from './sparkline.ts';

test('one bar per value from the lowest to the highest; null is a space', (t) => {
  t.is(sparkline([0, 1, 2, 3, 4, 5, 6, 7]), '▁▂▃▄▅▆▇█');
  t.is(sparkline([10, null, 20]), '▁ █');
  t.is(sparkline([5, 6, 5.5]), '▁█▅', 'scaled from the lowest value, not from 0');
  t.is(sparkline([-1, 1]), '▁█');
  t.is(sparkline([]), '');
  t.is(sparkline([null, null]), '  ');
});

test('a flat series: ▁ when all zero, ▄ when steady at another value', (t) => {
  t.is(sparkline([0, 0, 0]), '▁▁▁');
  t.is(sparkline([3, 3, null, 3]), '▄▄ ▄');
});

test('longer than the width: each group shows its max, so a one-sample peak survives', (t) => {
  const values = Array.from({ length: 360 }, (_, i) => (i === 200 ? 100 : 1));
  const line = sparkline(values, 40);
  t.is([...line].length, 40);
  t.is([...line].filter((c) => c === '█').length, 1);
  t.is(line.indexOf('█'), Math.floor((200 * 40) / 360));
  t.is(sparkline([1, 2, 3, 4, 5, 6], 3), '▁▅█');
  t.is(sparkline([null, null, 1, 2, 5, 6], 3), ' ▁█', 'a group of nulls is a space');
  t.is(sparkline([1, 2, 3], 10), '▁▅█', 'shorter series are not stretched');
  // A week of 10 s points in one go: no spread of 60,480 arguments.
  t.is([...sparkline(Array.from({ length: 60_480 }, (_, i) => i % 7), 40)].length, 40);
});

test('formatTableValue: the graphs\' words, "-" for no value', (t) => {
  t.is(formatTableValue(null, 'ms'), '-');
  t.is(formatTableValue(12.34, 'per_second'), '12.3 req/s');
  t.is(formatTableValue(87, 'ms'), '87 ms');
  t.is(formatTableValue(1234, 'ms'), '1.23 s');
  t.is(formatTableValue(45, 'percent'), '45 %');
  t.is(formatTableValue(512 * 2 ** 20, 'bytes'), '512 MiB');
  t.is(formatTableValue(1536, 'bytes'), '1.5 KiB');
  t.is(formatTableValue(0, 'bytes'), '0');
  t.is(formatTableValue(0.75, 'load'), '0.75');
  t.is(formatTableValue(1234, 'count'), '1.23k');
  const units: GraphUnit[] = ['count', 'per_second', 'ms', 'percent', 'bytes', 'load'];
  const values = [0, 0.004, 0.5, 0.75, 1, 2.346, 12.34, 87, 99.96, 999.7, 1000, 1023.7, 1536, 12_345, 999_600, 3e6, 512 * 2 ** 20, 5e9, 3e13, -42];
  for (const unit of units) for (const value of values) t.is(formatTableValue(value, unit), formatValue(value, unit), `${value} ${unit}`);
});

test('cli/sparkline.ts imports nothing: the compiled CLI carries no server code', async (t) => {
  const source = await readFile(new URL('./sparkline.ts', import.meta.url), 'utf8');
  t.notRegex(source, /^\s*import\s/m);
});
