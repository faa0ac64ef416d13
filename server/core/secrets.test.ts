// The secret box: values sealed to their place, and keys derived per purpose.
import test from 'ava';
import crypto from 'node:crypto';
import { SecretBox } from './secrets.ts';

const key = (): Buffer => crypto.randomBytes(32);

test('a sealed value opens only at the place it was sealed for', (t) => {
  const box = new SecretBox(key());
  const sealed = box.seal('postgres://db/shop', 'config:1:DATABASE_URL');
  t.false(sealed.includes('postgres'));
  t.is(box.open(sealed, 'config:1:DATABASE_URL'), 'postgres://db/shop');
  t.throws(() => box.open(sealed, 'config:2:DATABASE_URL'));
});

test('derived keys: stable per secret key and purpose, distinct across purposes, the current one first', (t) => {
  const current = key();
  const older = key();
  const box = new SecretBox(current, older);
  const cookies = box.derivedKeys('ui cookies');
  t.is(cookies.length, 2);
  t.true(cookies.every((k) => k.length === 32));
  t.deepEqual(new SecretBox(current, older).derivedKeys('ui cookies'), cookies, 'another server with the same key agrees');
  t.notDeepEqual(box.derivedKeys('something else')[0], cookies[0]);
  t.false(cookies.some((k) => k.equals(current) || k.equals(older)), 'never the secret key itself');
  // After a rotation the new key signs and the old one still verifies.
  t.deepEqual(new SecretBox(older, current).derivedKeys('ui cookies'), [cookies[1], cookies[0]]);
});
