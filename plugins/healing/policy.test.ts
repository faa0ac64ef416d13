// The policy's body: durations as people type them, and the checks that keep it sensible.
import test from 'ava';
import { changedPolicy, DEFAULT_POLICY, describePolicy, policyBody } from './policy.ts';

test('durations are read as 15s / 2m / 1h or milliseconds, within 1 s to 1 h', (t) => {
  t.deepEqual(policyBody.parse({ suspectAfter: '20s', replaceAfter: '2m' }), { suspectAfter: 20_000, replaceAfter: 120_000 });
  t.deepEqual(policyBody.parse({ suspectAfter: 5000 }), { suspectAfter: 5000 });
  for (const bad of ['0s', '500', 'soon', '2d', -1, 999, 3_600_001]) {
    const result = policyBody.safeParse({ replaceAfter: bad });
    t.false(result.success, String(bad));
    if (!result.success) t.regex(result.error.issues[0]!.message, /replaceAfter must be a duration from 1s to 1h/);
  }
  t.false(policyBody.safeParse({ replace: '1m' }).success, 'unknown fields are refused');
});

test('replaceAfter must be longer than suspectAfter; the change keeps what it does not name', (t) => {
  t.is(changedPolicy(DEFAULT_POLICY, { replaceAfter: 10_000 }), 'replaceAfter (10s) must be longer than suspectAfter (15s)');
  t.deepEqual(changedPolicy(DEFAULT_POLICY, { dryRun: true }), { ...DEFAULT_POLICY, dryRun: true });
  t.is(describePolicy(DEFAULT_POLICY), 'suspect after 15s of silence, replaced after 30s');
  t.is(describePolicy({ ...DEFAULT_POLICY, enabled: false }), 'off');
});
