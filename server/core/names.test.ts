import test from 'ava';
import { assertName, isValidConfigKey, isValidName, isValidProcessType } from './names.ts';
import { ScalariumError } from './errors.ts';

test('app names: boring lowercase names only', (t) => {
  for (const good of ['a', 'shop', 'my-app', 'a1', 'x'.repeat(30)]) t.true(isValidName(good), good);
  const bad = ['', 'A', 'Shop', '-a', 'a-', '1app', 'a--b', 'a_b', 'a.b', '..', 'a/b', 'a;b', '$(x)', '`x`', 'a b', 'a\nb', 'a\u0000', 'x'.repeat(31), 'аpp' /* Cyrillic а */];
  for (const name of bad) t.false(isValidName(name), JSON.stringify(name));
  t.false(isValidName(42));
  t.false(isValidName(undefined));
});

test('assertName throws a catalogue error with a hint', (t) => {
  const error = t.throws(() => assertName('app', 'Bad Name'), { instanceOf: ScalariumError });
  t.is(error?.code, 'invalid_name');
  t.is(error?.status, 400);
  t.regex(error?.message ?? '', /"Bad Name" is not a valid app name/);
  t.truthy(error?.hint);
});

test('config keys and process types', (t) => {
  t.true(isValidConfigKey('DATABASE_URL'));
  t.true(isValidConfigKey('_x1'));
  t.false(isValidConfigKey('1X'));
  t.false(isValidConfigKey('A-B'));
  t.false(isValidConfigKey('A B'));
  t.false(isValidConfigKey('A'.repeat(129)));
  t.false(isValidConfigKey('__proto__'));
  t.true(isValidProcessType('web'));
  t.true(isValidProcessType('worker_2'));
  t.false(isValidProcessType('Web'));
  t.false(isValidProcessType('w;x'));
});
