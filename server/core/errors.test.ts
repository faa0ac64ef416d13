import test from 'ava';
import { asScalariumError, catalogue, ScalariumError } from './errors.ts';

test('every catalogue entry has a 4xx/5xx status and a message', (t) => {
  for (const [code, entry] of Object.entries(catalogue)) {
    t.true(entry.status >= 400 && entry.status < 600, code);
    const error = new ScalariumError(code as keyof typeof catalogue, { app: 'x', value: 'y', reason: 'z', key: 'K', version: 1, id: '1', kind: 'app' });
    t.true(error.message.length > 5, code);
    t.is(error.toJSON().code, code);
  }
});

test('unknown errors become internal without details', (t) => {
  const error = asScalariumError(new Error('SQLITE_CONSTRAINT: secret detail'));
  t.is(error.code, 'internal');
  t.is(error.status, 500);
  t.notRegex(JSON.stringify(error.toJSON()), /SQLITE|secret/);
});
