import test from 'ava';
import { backoffDelay, isNotFound, isRetryable, retry } from './retry.ts';

const throttled = () => Object.assign(new Error('Request limit exceeded.'), { name: 'RequestLimitExceeded', $metadata: { httpStatusCode: 503 } });

test('full jitter stays within the doubling window, capped', (t) => {
  const policy = { attempts: 10, baseMs: 100, capMs: 1000 };
  t.is(backoffDelay(0, policy, () => 0.999), 99);
  t.is(backoffDelay(2, policy, () => 0.999), 399);
  t.is(backoffDelay(8, policy, () => 0.999), 999);
  t.is(backoffDelay(3, policy, () => 0), 0);
});

test('throttling, 5xx and network errors are retryable; NotFound and client errors are not', (t) => {
  t.true(isRetryable(throttled()));
  t.true(isRetryable(Object.assign(new Error('x'), { name: 'Throttling' })));
  t.true(isRetryable(Object.assign(new Error('x'), { name: 'Whatever', $metadata: { httpStatusCode: 502 } })));
  t.true(isRetryable(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })));
  t.true(isRetryable(Object.assign(new Error('x'), { name: 'TimeoutError' })));
  t.false(isRetryable(Object.assign(new Error('x'), { name: 'InvalidAMIID.Malformed', $metadata: { httpStatusCode: 400 } })));
  t.false(isRetryable(Object.assign(new Error('x'), { name: 'InvalidInstanceID.NotFound', $metadata: { httpStatusCode: 400 } })));
  t.true(isNotFound(Object.assign(new Error('x'), { name: 'InvalidInstanceID.NotFound' })));
  t.false(isNotFound(Object.assign(new Error('x'), { name: 'InvalidAMIID.NotFound' })));
});

test('retries retryable failures, then succeeds; gives up on the others at once', async (t) => {
  const sleeps: number[] = [];
  let calls = 0;
  const value = await retry(async (attempt) => {
    calls++;
    if (attempt < 2) throw throttled();
    return 'ok';
  }, { policy: { attempts: 5, baseMs: 10, capMs: 100 }, sleep: async (ms) => void sleeps.push(ms) });
  t.is(value, 'ok');
  t.is(calls, 3);
  t.is(sleeps.length, 2);

  calls = 0;
  await t.throwsAsync(retry(async () => {
    calls++;
    throw new Error('no');
  }, { sleep: async () => {} }), { message: 'no' });
  t.is(calls, 1);
});

test('stops at the attempt limit and at the deadline', async (t) => {
  let calls = 0;
  await t.throwsAsync(retry(async () => {
    calls++;
    throw throttled();
  }, { policy: { attempts: 3 }, sleep: async () => {} }));
  t.is(calls, 3);

  calls = 0;
  await t.throwsAsync(retry(async () => {
    calls++;
    throw throttled();
  }, { policy: { attempts: 100, baseMs: 5, capMs: 5 }, deadline: Date.now() + 60 }));
  t.true(calls > 1 && calls < 100);
});
