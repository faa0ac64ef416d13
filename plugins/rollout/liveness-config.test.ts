import test from 'ava';
import { livenessFor } from './index.ts';

const readiness = { path: '/ready', expect: 'ok' };

function read(config: Record<string, string>) {
  const warnings: string[] = [];
  return { liveness: livenessFor(config, readiness, (line) => warnings.push(line)), warnings };
}

test('by default: the readiness path and text, every 10 s, three failures in a row', (t) => {
  t.deepEqual(read({}), { liveness: { path: '/ready', intervalMs: 10_000, failures: 3, expect: 'ok' }, warnings: [] });
});

test('path, interval and failures come from the config vars; the readiness text stays with its path', (t) => {
  t.deepEqual(read({ SCALARIUM_LIVENESS_PATH: '/health', SCALARIUM_LIVENESS_INTERVAL: '1.5', SCALARIUM_LIVENESS_FAILURES: '5' }), {
    liveness: { path: '/health', intervalMs: 1500, failures: 5 }, warnings: [],
  });
  t.deepEqual(read({ SCALARIUM_LIVENESS_PATH: '/ready' }).liveness?.expect, 'ok');
});

test('SCALARIUM_LIVENESS_PATH=off turns the check off', (t) => {
  t.deepEqual(read({ SCALARIUM_LIVENESS_PATH: 'off', SCALARIUM_LIVENESS_INTERVAL: 'x' }), { liveness: undefined, warnings: [] });
});

test('bad values fall back to the defaults, each said', (t) => {
  const { liveness, warnings } = read({ SCALARIUM_LIVENESS_PATH: 'health', SCALARIUM_LIVENESS_INTERVAL: '0.5', SCALARIUM_LIVENESS_FAILURES: '2.5' });
  t.deepEqual(liveness, { path: '/ready', intervalMs: 10_000, failures: 3, expect: 'ok' });
  t.deepEqual(warnings, [
    'SCALARIUM_LIVENESS_PATH must be a path starting with / or "off", not "health": probing /ready',
    'SCALARIUM_LIVENESS_INTERVAL must be a number of seconds from 1 to 3600, not "0.5": using 10',
    'SCALARIUM_LIVENESS_FAILURES must be a whole number from 1 to 100, not "2.5": using 3',
  ]);
  t.is(read({ SCALARIUM_LIVENESS_INTERVAL: '7200' }).warnings.length, 1);
  t.is(read({ SCALARIUM_LIVENESS_FAILURES: '0' }).warnings.length, 1);
});
