// The judgement alone: thresholds, the partition guard, flapping.
import test from 'ava';
import { assess, FLAP_COUNT, FLAP_WINDOW_MS } from './assess.ts';
import { DEFAULT_POLICY } from './policy.ts';

const NOW = 1_000_000_000;
const fleet = (silences: number[]) => silences.map((silentForMs, i) => ({ id: `i-${i + 1}`, role: 'app', silentForMs }));

test('silent past suspectAfter is suspect; past replaceAfter it is replaced, with the silence in the reason', (t) => {
  const verdict = assess(fleet([1_000, 16_000, 31_000, 2_000, 0]), DEFAULT_POLICY, new Map(), NOW);
  t.deepEqual(verdict.suspects.map((s) => s.id), ['i-2', 'i-3']);
  t.deepEqual(verdict.replace.map((r) => r.instance.id), ['i-3']);
  t.is(verdict.replace[0]!.reason, 'no heartbeat for 31 s (replaced after 30 s)');
  t.is(verdict.paused, undefined);
});

test('a one-instance cluster heals: one silent instance is no partition', (t) => {
  const verdict = assess(fleet([40_000]), DEFAULT_POLICY, new Map(), NOW);
  t.is(verdict.paused, undefined);
  t.deepEqual(verdict.replace.map((r) => r.instance.id), ['i-1']);
});

test('more than half silent at once (and at least two) pauses healing and says why; exactly half does not', (t) => {
  const partition = assess(fleet([40_000, 40_000, 40_000, 0, 0]), DEFAULT_POLICY, new Map(), NOW);
  t.deepEqual(partition.replace, []);
  t.regex(partition.paused ?? '', /^3 of 5 instances are silent at once \(more than half\)/);
  t.regex(assess(fleet([40_000, 40_000]), DEFAULT_POLICY, new Map(), NOW).paused ?? '', /2 of 2/);
  const half = assess(fleet([40_000, 40_000, 0, 0]), DEFAULT_POLICY, new Map(), NOW);
  t.is(half.paused, undefined);
  t.is(half.replace.length, 2);
});

test(`an instance that came back ${FLAP_COUNT} times within the window is replaced as flapping; older returns do not count`, (t) => {
  const returns = new Map([
    ['i-1', [NOW - 60_000, NOW - 40_000, NOW - 20_000]],
    ['i-2', [NOW - FLAP_WINDOW_MS - 1, NOW - 40_000, NOW - 20_000]],
  ]);
  const verdict = assess(fleet([0, 0, 0]), DEFAULT_POLICY, returns, NOW);
  t.deepEqual(verdict.replace.map((r) => r.instance.id), ['i-1']);
  t.is(verdict.replace[0]!.reason, 'flapping: silent for over 15 s 3 times in 5 min');
});
