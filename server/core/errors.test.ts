import test from 'ava';
import { asScalariumError, catalogue, pluginError, ScalariumError } from './errors.ts';

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

test('a plugin defines errors of its own under its name; they answer like core\'s', (t) => {
  const unknownThing = pluginError('errors-test', 'unknown_thing', {
    status: 404, message: (p) => `No thing named ${p.name}.`, hint: () => 'Run `scalarium things` to list them.',
  });
  const error = unknownThing({ name: 'x' });
  t.true(error instanceof ScalariumError);
  t.is(error.status, 404);
  t.deepEqual(error.toJSON(), { code: 'errors-test.unknown_thing', message: 'No thing named x.', hint: 'Run `scalarium things` to list them.' });
  t.throws(() => pluginError('errors-test', 'unknown_thing', { status: 400, message: () => '' }), { message: /defined twice/ });
  t.throws(() => pluginError('Errors Test', 'x', { status: 400, message: () => '' }), { message: /must be <plugin>\.<name>/ });
});
