// The lock's body (bodies.ts) through parseBody, in-process.
import test from 'ava';
import { ScalariumError, parseBody } from '../../server/plugin-api.ts';
import { lockBody } from './bodies.ts';

const REASON = 'Invalid request: reason must be one line of text, at most 200 characters.';

test('a reason is one line of up to 200 characters, trimmed; none is fine', (t) => {
  t.deepEqual(parseBody(lockBody, {}), {});
  t.deepEqual(parseBody(lockBody, { reason: '  release freeze \n' }), { reason: 'release freeze' });
  t.deepEqual(parseBody(lockBody, { reason: 'x'.repeat(200) }), { reason: 'x'.repeat(200) });
  for (const reason of ['x'.repeat(201), 'two\nlines', 'bell\u0007', 42, null]) {
    const error = t.throws(() => parseBody(lockBody, { reason }), { instanceOf: ScalariumError }, JSON.stringify(reason));
    t.is(error?.code, 'invalid_body');
    t.is(error?.message, REASON);
  }
});
