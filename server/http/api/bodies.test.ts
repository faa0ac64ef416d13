// Core's request-body schemas (bodies/*.ts) through parseBody, in-process: what a good body becomes,
// and the exact error (code and sentence) for each kind of bad one. The routes' own tests
// (test/security/bad-input.test.ts, cli/*.test.ts) see the same errors over HTTP.
import test from 'ava';
import { z } from 'zod';
import { ScalariumError } from '../../core/errors.ts';
import { parseBody, type ReasonCode } from './bodies/parse.ts';
import { appChangeBody, newAppBody } from './bodies/apps.ts';
import { configBody } from './bodies/config.ts';
import { formationBody, restartBody } from './bodies/ps.ts';
import { deployBody, rollbackBody } from './bodies/releases.ts';
import { newClusterBody, roleCountsBody } from './bodies/clusters.ts';

/** The error parseBody throws for `body`, as `code: message`. */
function refusal(schema: z.ZodType, body: unknown, code?: ReasonCode): string {
  try {
    parseBody(schema, body, code);
  } catch (error) {
    if (error instanceof ScalariumError) return `${error.code}: ${error.message}`;
    throw error;
  }
  throw new Error(`${JSON.stringify(body)} was accepted`);
}

test('POST /api/apps: names are checked by the one allow-list, and keep invalid_name', (t) => {
  t.deepEqual(parseBody(newAppBody, { name: 'shop' }), { name: 'shop' });
  t.deepEqual(parseBody(newAppBody, { name: 'shop', cluster: 'prod' }), { name: 'shop', cluster: 'prod' });
  t.deepEqual(parseBody(newAppBody, { name: 'shop', cluster: null }), { name: 'shop', cluster: null });
  t.is(refusal(newAppBody, { name: 'Shop' }), 'invalid_name: "Shop" is not a valid app name.');
  t.is(refusal(newAppBody, { name: 42 }), 'invalid_name: "42" is not a valid app name.');
  t.is(refusal(newAppBody, { name: ['a'] }), 'invalid_name: "(object)" is not a valid app name.');
  t.is(refusal(newAppBody, {}), 'invalid_name: "(undefined)" is not a valid app name.');
  t.is(refusal(newAppBody, { name: 'shop', cluster: 'Prod' }), 'invalid_name: "Prod" is not a valid cluster name.');
});

test('PATCH /api/apps/:app: only deployBranch, and an unknown key is named first', (t) => {
  t.deepEqual(parseBody(appChangeBody, { deployBranch: 'master' }), { deployBranch: 'master' });
  t.is(refusal(appChangeBody, {}), 'invalid_body: Invalid request: give {"deployBranch": "main"}.');
  t.is(refusal(appChangeBody, { deployBranh: 'main' }), 'invalid_body: Invalid request: give {"deployBranch": "main"}; deployBranh cannot be changed here.');
  t.is(refusal(appChangeBody, { deployBranch: 'main', name: 'other' }), 'invalid_body: Invalid request: give {"deployBranch": "main"}; name cannot be changed here.');
  t.is(refusal(appChangeBody, { deployBranch: 'main', ['x'.repeat(100)]: 1 }), `invalid_body: Invalid request: give {"deployBranch": "main"}; ${'x'.repeat(40)} cannot be changed here.`);
  for (const deployBranch of ['-x', 'a..b', 'main.lock', 'a b', null, 7]) {
    t.is(refusal(appChangeBody, { deployBranch }), 'invalid_body: Invalid request: deployBranch must be a branch name (letters, digits, . _ - /; e.g. main or master).', String(deployBranch));
  }
});

test('PATCH config: KEY: "value" or null, keys and values refused with their own codes', (t) => {
  const change: Record<string, string | null> = parseBody(configBody, { A: 'b', OLD: null, EXACTLY_32K: 'z'.repeat(32 * 1024) });
  t.deepEqual(Object.keys(change), ['A', 'OLD', 'EXACTLY_32K']);
  t.is(change.OLD, null);
  t.is(refusal(configBody, {}), 'invalid_body: Invalid request: no config vars given.');
  t.is(refusal(configBody, []), 'invalid_body: Invalid request: expected an object of KEY: "value" (null unsets).');
  t.is(refusal(configBody, '"A=b"'), 'invalid_body: Invalid request: expected an object of KEY: "value" (null unsets).');
  t.is(refusal(configBody, { GOOD: 'x', 'BAD-KEY': 'y' }), 'invalid_config_key: "BAD-KEY" is not a valid config var name.');
  t.is(refusal(configBody, { '1ABC': 'x' }), 'invalid_config_key: "1ABC" is not a valid config var name.');
  for (const value of [1, true, { a: 1 }, ['x'], Infinity]) {
    t.is(refusal(configBody, { BIG: value }), 'invalid_body: Invalid request: the value of BIG must be a string or null.', String(value));
  }
  for (const value of ['a\u0000b', 'x'.repeat(32 * 1024 + 1)]) {
    t.is(refusal(configBody, { BIG: value }), 'invalid_config_value: The value of BIG is too long or contains a NUL byte.');
  }
  // The first entry that is wrong is the one named, its key before its value.
  t.is(refusal(configBody, { A: 1, 'B-C': 'x' }), 'invalid_body: Invalid request: the value of A must be a string or null.');
});

test('PATCH config: a __proto__ key (JSON.parse makes one) is left out and poisons nothing', (t) => {
  const raw: unknown = JSON.parse('{"__proto__": {"admin": true}, "A": "b"}');
  const change = parseBody(configBody, raw);
  t.deepEqual(Object.keys(change), ['A']);
  t.is(Object.getPrototypeOf(change), Object.prototype);
  t.is(({} as { admin?: boolean }).admin, undefined);
  t.is(refusal(configBody, JSON.parse('{"__proto__": "x"}')), 'invalid_body: Invalid request: no config vars given.');
});

test('PATCH formation: whole numbers 0-100, refused as invalid_formation', (t) => {
  t.deepEqual(parseBody(formationBody, { web: 3, worker: 0 }, 'invalid_formation'), { web: 3, worker: 0 });
  for (const count of [-1, 1.5, 101, 1e9, '1', null, Number.NaN]) {
    t.is(refusal(formationBody, { web: count }, 'invalid_formation'), 'invalid_formation: Invalid formation: web must be a whole number from 0 to 100.', String(count));
  }
  t.is(refusal(formationBody, {}, 'invalid_formation'), 'invalid_formation: Invalid formation: no process type given.');
  t.is(refusal(formationBody, [], 'invalid_formation'), 'invalid_formation: Invalid formation: expected {"type": count}.');
  // Names like these are plain keys: whether the release has such a type is scale()'s question.
  t.deepEqual(parseBody(formationBody, { constructor: 1, toString: 2 }), { constructor: 1, toString: 2 });
});

test('POST restart: a type that is no string goes on as its description (unknown_process_type later)', (t) => {
  t.deepEqual(parseBody(restartBody, {}), {});
  t.deepEqual(parseBody(restartBody, { type: 'web' }), { type: 'web' });
  t.deepEqual(parseBody(restartBody, { type: 7 }), { type: '7' });
  t.deepEqual(parseBody(restartBody, { type: ['web'] }), { type: '(object)' });
  t.deepEqual(parseBody(restartBody, { type: null }), { type: '(null)' });
});

test('POST rollback and deploy: versions, commits and archives', (t) => {
  for (const version of [2, 'v2', '2', null, '']) t.deepEqual(parseBody(rollbackBody, { version }), { version });
  t.deepEqual(parseBody(rollbackBody, {}), {});
  t.is(refusal(rollbackBody, { version: { v: 1 } }), 'invalid_version: "(object)" is not a release version.');
  t.is(refusal(rollbackBody, { version: true }), 'invalid_version: "true" is not a release version.');

  t.deepEqual(parseBody(deployBody, {}), {});
  t.deepEqual(parseBody(deployBody, { commit: 'main' }), { commit: 'main' });
  t.deepEqual(parseBody(deployBody, { release: 3 }), { release: 3 });
  t.deepEqual(parseBody(deployBody, { archive: 'https://example.org/app.tar.gz' }), { archive: 'https://example.org/app.tar.gz' });
  for (const commit of [5, null, ['main']]) {
    t.is(refusal(deployBody, { commit }), 'invalid_body: Invalid request: give one of "commit", "release" or "archive" (or upload a tarball).');
  }
  t.is(refusal(deployBody, { archive: 5 }), 'invalid_body: Invalid request: archive must be an http(s) URL.');
  t.is(refusal(deployBody, { release: [3] }), 'invalid_version: "(object)" is not a release version.');
});

test('PATCH cluster roles: role names are names, counts 0-100 instances', (t) => {
  t.deepEqual(parseBody(roleCountsBody, { app: 2, router: 0 }), { app: 2, router: 0 });
  t.deepEqual(parseBody(roleCountsBody, {}), {});
  t.is(refusal(roleCountsBody, { App: 1 }), 'invalid_name: "App" is not a valid role name.');
  t.is(refusal(roleCountsBody, { app: 101 }), 'invalid_body: Invalid request: app must be a whole number of instances from 0 to 100.');
  t.is(refusal(roleCountsBody, { app: 'lots' }), 'invalid_body: Invalid request: app must be a whole number of instances from 0 to 100.');
  t.is(refusal(roleCountsBody, [1]), 'invalid_body: Invalid request: roles must be {"app": 2, "router": 1}.');
});

test('POST /api/clusters: settings as the providers get them', (t) => {
  const body = parseBody(newClusterBody, {
    name: 'prod', provider: 'ec2',
    settings: {
      region: 'eu-central-1', endpoint: 'https://ec2.example:8773', image: 'ami-0abc', subnet: '', keyPair: null, spot: 'yes',
      elasticIpForRouters: true, bootTimeoutMs: 60_000, securityGroupIds: ['sg-1a'], retry: { attempts: 99 },
      credentials: { accessKeyId: 'AKIA', secretAccessKey: 'secret', sessionToken: 5, extra: 'x' },
    },
    roles: { app: 2, router: 1 },
  });
  t.is(body.name, 'prod');
  t.is(body.provider, 'ec2');
  t.deepEqual(body.roles, { app: 2, router: 1 });
  // Empty and null settings are not set, a flag is only on when true, the server's own settings stay its own.
  t.deepEqual(JSON.parse(JSON.stringify(body.settings)), {
    region: 'eu-central-1', endpoint: 'https://ec2.example:8773', image: 'ami-0abc', spot: false, elasticIpForRouters: true,
    bootTimeoutMs: 60_000, securityGroupIds: ['sg-1a'], credentials: { accessKeyId: 'AKIA', secretAccessKey: 'secret' },
  });
  // A provider's own settings: scalars under plain keys are kept for its checkSettings; objects, odd keys and the server's own are not.
  const own = parseBody(newClusterBody, { name: 'sim', provider: 'simulated', settings: { bootMs: 10, failureRate: 0.1, tag: 'a', nested: { x: 1 }, 'bad key': 1, clusterUid: 'u', retry: 1 } });
  t.deepEqual(JSON.parse(JSON.stringify(own.settings)), { bootMs: 10, failureRate: 0.1, tag: 'a' });
  // No provider (or no string): the default cluster's, chosen by createClusterFor.
  t.like(parseBody(newClusterBody, { name: 'lab' }), { name: 'lab', provider: undefined });
  t.like(parseBody(newClusterBody, { name: 'lab', provider: 5, settings: null, roles: null }), { provider: undefined, settings: null, roles: null });

  const bad = (settings: unknown) => refusal(newClusterBody, { name: 'prod', settings });
  t.is(refusal(newClusterBody, { name: 'Prod' }), 'invalid_name: "Prod" is not a valid cluster name.');
  t.is(bad({ region: 'eu central' }), 'invalid_body: Invalid request: region must be a short string without spaces.');
  t.is(bad({ image: 'x'.repeat(256) }), 'invalid_body: Invalid request: image must be a short string without spaces.');
  t.is(bad({ instanceType: 3 }), 'invalid_body: Invalid request: instanceType must be a short string without spaces.');
  t.is(bad({ endpoint: 'ftp://x.example' }), 'invalid_body: Invalid request: endpoint must be an http(s) URL.');
  t.is(bad({ serverUrl: 'scalarium.example' }), 'invalid_body: Invalid request: serverUrl must be an http(s) URL.');
  t.is(bad({ bootTimeoutMs: 10 }), 'invalid_body: Invalid request: bootTimeoutMs must be milliseconds between 1000 and 86400000.');
  t.is(bad({ orphanGraceMs: null }), 'invalid_body: Invalid request: orphanGraceMs must be milliseconds between 1000 and 86400000.');
  for (const securityGroupIds of [['x'], 'sg-1', Array.from({ length: 11 }, (_, i) => `sg-${i}`)]) {
    t.is(bad({ securityGroupIds }), 'invalid_body: Invalid request: securityGroupIds must be a list of sg-… ids.');
  }
  for (const credentials of [{ accessKeyId: 'AKIA' }, 'AKIA:secret', { accessKeyId: 1, secretAccessKey: 'x' }]) {
    t.is(bad({ credentials }), 'invalid_body: Invalid request: credentials need accessKeyId and secretAccessKey.');
  }
  t.is(bad('eu-central-1'), 'invalid_body: Invalid request: settings must be an object such as {"region": "eu-central-1", "image": "ami-…"}.');
  t.is(refusal(newClusterBody, { name: 'prod', roles: { app: -1 } }), 'invalid_body: Invalid request: app must be a whole number of instances from 0 to 100.');
});

test('parseBody: a check without words of its own still names its field', (t) => {
  t.is(refusal(z.object({ count: z.number() }), { count: 'x' }), 'invalid_body: Invalid request: count is not valid.');
  t.is(refusal(z.object({ count: z.number() }), null), 'invalid_body: Invalid request: the body is not valid.');
});
