// Tests of the cluster commands: clusters, clusters:create/info/scale/destroy, events and
// apps:create --cluster, against a real server (test/helpers/harness.ts) whose clusters are of the
// null provider: fake instances, steered by a script where a test needs an instance to fail, to
// wait at a step of its boot, or an app hook to print something. The tests check that --json passes
// the API's JSON through, the human output, the progress lines of clusters:scale, the usage errors,
// that a secret access key is read from its file and never printed, and, through the API, that each
// command did what it says.
import test, { type ExecutionContext } from 'ava';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getClusterSettings } from '../server/db/clusters.ts';
import { findCluster } from '../server/db/instances.ts';
import type { BootStep, InstanceRef } from '../plugins/provider-null/index.ts';
import type { TestScalarium } from '../test/helpers/harness.ts';
import { formatRoles, parseRoleCounts, scaleWatch } from './commands/clusters.ts';
import { cleanOutput, formatDuration } from './commands/events.ts';
import { cli, loggedIn, must, sandbox, sharedServer, UNKNOWN_TOKEN, until, withoutDates } from './test-support.ts';

scaleWatch.intervalMs = 5; // clusters:scale looks at the instances every 5 ms while it waits

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const NOT_CONNECTED = 'the agent did not connect within 600 s';
const HOOK_OUTPUT = 'installing\n\x1b[31mnpm ERR!\x1b[0m missing script\n';

interface Instance { id: string; state: string }
interface EventRun { event: string; instanceId: string | null; app: string | null; status: string; output: string | null; reason: string | null; durationMs: number | null }

const stateOf = async (server: TestScalarium, cluster: string) =>
  Object.fromEntries((await must<{ instances: Instance[] }>(server, 200, 'GET', `/api/clusters/${cluster}`)).instances.map((i) => [i.id, i.state]));

/** Creates a null-provider cluster and waits until its instances have come as far as they will. */
async function nullCluster(server: TestScalarium, name: string, roles: Record<string, number>, settled: Record<string, string>, settings = {}) {
  await must(server, 201, 'POST', '/api/clusters', { name, provider: 'null', settings, roles });
  const wanted = JSON.stringify(settled);
  await until(`cluster ${name} at ${wanted}`, async () => JSON.stringify(await stateOf(server, name)) === wanted);
}

/** The router of a cluster never comes up, as if its instance had not booted. */
const routerFails = (instance: InstanceRef, step: BootStep): void => {
  if (instance.role === 'router' && instance.cluster !== 'local' && step === 'booting') throw new Error(NOT_CONNECTED);
};

/**
 * Made through the API: cluster "prod" with EC2-like settings and stored credentials, app=2 router=1,
 * whose router failed and whose second app instance waits in setup (its setup event runs until the
 * server stops); app "shop" deployed on prod, whose deploy hook fails with output; app "blog" on
 * local; cluster "empty" without instances. Only read by the tests that share it.
 */
const prod = sharedServer(async (server) => {
  server.cloud.script = {
    boot: (instance, step) => (instance.id === 'prod-app-2' && step === 'setup' ? new Promise<void>(() => {}) : routerFails(instance, step)),
    event: (_instance, event, apps) => (event === 'deploy' ? (apps ?? []).map((app) => ({ app, ran: true, ok: false, output: HOOK_OUTPUT })) : []),
  };
  await nullCluster(server, 'prod', { router: 1, app: 2 }, { 'prod-app-1': 'online', 'prod-app-2': 'setup', 'prod-router-1': 'failed' }, {
    region: 'eu-central-1', endpoint: 'https://ec2.example:8773', image: 'ami-0abc1234', instanceType: 't3.small', spot: false,
    credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: SECRET },
  });
  await nullCluster(server, 'empty', { app: 0 }, {});
  await must(server, 201, 'POST', '/api/apps', { name: 'shop', cluster: 'prod' });
  await must(server, 201, 'POST', '/api/apps', { name: 'blog' });
  await server.deployFakeRelease('shop', { processTypes: { web: 'node server.js' } });
});
const prodWorld = async (t: ExecutionContext) => loggedIn(t, { server: await prod() });

/** A table's rows as cells (columns are two or more spaces apart), dates made alike. */
const cells = (text: string) => withoutDates(text).trimEnd().split('\n').map((line) => line.split(/ {2,}/));

test('--json prints the raw API JSON of clusters, clusters:info, events and clusters:scale', async (t) => {
  const api = await prodWorld(t);
  const cases: [string[], string][] = [
    [['clusters', '--json'], '/api/clusters'],
    [['clusters:info', 'prod', '--json'], '/api/clusters/prod'],
    [['clusters:info', 'local', '--json'], '/api/clusters/local'],
    [['events', '--cluster', 'prod', '--json'], '/api/clusters/prod/events'],
    [['events', '-c', 'prod', '-n', '2', '--json'], '/api/clusters/prod/events?limit=2'],
  ];
  for (const [args, path] of cases) {
    const result = await cli(args, { env: api.env, cwd: api.cwd });
    t.is(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    t.deepEqual(JSON.parse(result.stdout), await must(api.server, 200, 'GET', path), args.join(' '));
    t.is(result.stderr, '', args.join(' '));
  }
  const scale = await cli(['clusters:scale', 'local', '--json'], { env: api.env, cwd: api.cwd });
  t.deepEqual(JSON.parse(scale.stdout), { roles: (await must(api.server, 200, 'GET', '/api/clusters/local')).roles });
  // -n is sent as the limit
  const all = await must<EventRun[]>(api.server, 200, 'GET', '/api/clusters/prod/events');
  t.true(all.length > 2);
  t.is(JSON.parse((await cli(['events', '-c', 'prod', '-n', '2', '--json'], { env: api.env, cwd: api.cwd })).stdout).length, 2);
});

test('human output: clusters, clusters:info, events, events --verbose', async (t) => {
  const api = await prodWorld(t);
  const opts = { env: api.env, cwd: api.cwd };

  t.is((await cli(['clusters'], opts)).stdout, [
    'NAME   PROVIDER  ROLES           INSTANCES  APPS',
    'empty  null      app=0           0/0        -',
    'local  null      app=1 router=1  2/2        blog',
    'prod   null      app=2 router=1  1/3        shop',
    '',
  ].join('\n'));

  t.is((await cli(['clusters:info', 'prod'], opts)).stdout, [
    '=== prod',
    'Provider:       null',
    'Region:         eu-central-1',
    'Endpoint:       https://ec2.example:8773',
    'Image:          ami-0abc1234',
    'Instance type:  t3.small',
    'Spot:           no',
    'Credentials:    stored (encrypted)',
    'Roles:          app=2 router=1',
    'Instances:      1 of 3 instances online (1 failed, 1 setup), 3 wanted',
    'Apps:           shop',
    '',
    '=== Instances (3)',
    'ID             ROLE    STATE   ADDRESS  PROVIDER-ID  CONNECTED',
    'prod-app-1     app     online  -        -            yes',
    'prod-app-2     app     setup   -        -            yes',
    'prod-router-1  router  failed  -        -            no',
    '',
    `prod-router-1 failed: ${NOT_CONNECTED}`,
    'The lifecycle event runs may tell more: scalarium events --cluster prod --verbose',
    '',
  ].join('\n'));

  t.is((await cli(['clusters:info', 'local'], opts)).stdout, [
    '=== local',
    'Provider:   null',
    'Roles:      app=1 router=1',
    'Instances:  2 instances online, 2 wanted',
    'Apps:       blog',
    '',
    '=== Instances (2)',
    'ID              ROLE    STATE   ADDRESS  PROVIDER-ID  CONNECTED',
    'local-app-1     app     online  -        -            yes',
    'local-router-1  router  online  -        -            yes',
    '',
  ].join('\n'));

  // one row per run the API has, newest first; durations are the server's own measurements
  const runs = await must<EventRun[]>(api.server, 200, 'GET', '/api/clusters/prod/events');
  const table = cells((await cli(['events', '--cluster', 'prod'], opts)).stdout);
  t.deepEqual(table[0], ['AT', 'EVENT', 'INSTANCE', 'APP', 'STATUS', 'DURATION', 'REASON']);
  t.deepEqual(table.slice(1).map(([at, event, instance, app, status, , reason]) => [at, event, instance, app, status, reason]),
    runs.map((r) => ['YYYY-MM-DD hh:mm:ss UTC', r.event, r.instanceId, r.app ?? '-', r.status, r.reason ?? '-']));
  t.deepEqual(table.slice(1).map((row) => row[5]), runs.map((r) => (r.status === 'running' ? '-' : formatDuration(r.durationMs))));
  const deploy = table.find((row) => row[1] === 'deploy');
  t.deepEqual(deploy && [deploy[2], deploy[3], deploy[4], deploy[6]], ['prod-app-1', 'shop', 'failed', 'hook failed for shop']);
  const setup = table.find((row) => row[2] === 'prod-app-2');
  t.deepEqual(setup && [setup[1], setup[4], setup[5]], ['setup', 'running', '-']);

  // --verbose: each run's output under its row, indented, terminal escapes removed
  const verbose = (await cli(['events', '--cluster', 'prod', '--verbose'], opts)).stdout.split('\n');
  const at = (row: string) => verbose.findIndex((line) => line.includes(row));
  const deployAt = at('  deploy  ');
  t.deepEqual(verbose.slice(deployAt + 1, deployAt + 3), ['    [shop] installing', '    npm ERR! missing script']);
  const setupAt = verbose.findIndex((line) => /setup +prod-app-2 /.test(line));
  t.is(verbose[setupAt + 1], '    (no output yet)');
  t.is(verbose.filter((line) => line === '    (no output)').length, runs.filter((r) => r.status !== 'running' && !r.output).length);

  t.is((await cli(['events', '--cluster', 'empty'], opts)).stdout, 'No lifecycle events on cluster empty yet.\n');
  t.is((await cli(['clusters:scale', 'prod'], opts)).stdout, 'app=2 router=1\n');

  // apps and apps:info show the app's cluster
  t.regex((await cli(['apps'], opts)).stdout, /^NAME +CLUSTER +RELEASE +FORMATION +URL\nblog +local +- +\(none\) +.*\nshop +prod +v1 +web=1 /);
  t.regex((await cli(['apps:info', '-a', 'shop'], opts)).stdout, /\nFormation: +web=1\nCluster: +prod\nCreated: /);
});

test('an unknown cluster: the API error with a hint to list clusters, exit 1', async (t) => {
  const api = await loggedIn(t);
  for (const args of [['clusters:info', 'nope'], ['events', '-c', 'nope'], ['clusters:scale', 'nope', 'app=1'], ['apps:create', 'fresh', '--cluster', 'nope']]) {
    const result = await cli(args, { env: api.env, cwd: api.cwd });
    t.is(result.code, 1, args.join(' '));
    t.true(result.stderr.endsWith('▸ No cluster named "nope".\n  Run `scalarium clusters` to list clusters.\n'), `${args.join(' ')}: ${result.stderr}`);
    t.is(result.stdout, '', args.join(' '));
  }
  t.is((await api.server.api('GET', '/api/apps/fresh')).status, 404);
});

test('clusters:create sends name, provider, settings and roles', async (t) => {
  const api = await loggedIn(t);
  const opts = { env: api.env, cwd: api.cwd };
  const cluster = (name: string) => must(api.server, 200, 'GET', `/api/clusters/${name}`);

  // the local provider by default (the harness starts no local instances: nothing is spawned)
  const plain = await cli(['clusters:create', 'staging'], opts);
  t.is(plain.code, 0, plain.stderr);
  t.is(plain.stderr, 'Creating cluster staging (local)... done\n');
  t.is(plain.stdout, [
    'Created cluster staging: provider local, roles app=1 router=1.',
    'Its instances start in the background; watch them with: scalarium clusters:info staging',
    'Put apps on it with: scalarium apps:create APP --cluster staging',
    '',
  ].join('\n'));
  t.like(await cluster('staging'), { provider: 'local', settings: { credentials: null }, roles: [{ name: 'app', count: 1 }, { name: 'router', count: 1 }] });

  const full = await cli([
    'clusters:create', 'eu', '--provider', 'null', '--region', 'eu-central-1', '--endpoint', 'https://ec2.my-cloud:8773',
    '--image', 'ami-0abc1234', '--instance-type', 't3.small', '--subnet', 'subnet-42', '--key-pair', 'ops', '--spot',
    '--server-url', 'https://scalarium.example.com', '--roles', 'app=2,router=1,worker=0', '--json',
  ], opts);
  t.is(full.code, 0, full.stderr);
  const roles = [{ name: 'app', count: 2 }, { name: 'router', count: 1 }, { name: 'worker', count: 0 }];
  t.like(JSON.parse(full.stdout), { name: 'eu', provider: 'null', roles });
  t.like(await cluster('eu'), {
    provider: 'null',
    settings: {
      region: 'eu-central-1', endpoint: 'https://ec2.my-cloud:8773', image: 'ami-0abc1234', instanceType: 't3.small',
      subnet: 'subnet-42', keyPair: 'ops', spot: true, serverUrl: 'https://scalarium.example.com', credentials: null,
    },
    roles,
  });

  // any other provider is the server's to judge: sent as given
  const other = await cli(['clusters:create', 'os', '--provider', 'openstack'], opts);
  t.is(other.code, 1);
  // The server names the providers it has (the built-in ones, in the order they were loaded).
  t.regex(other.stderr, /^Creating cluster os \(openstack\)\.\.\. failed\n▸ Invalid request: no provider "openstack" is loaded \(local, ec2, [a-z, -]*null\)\.\n$/);
  t.is((await api.server.api('GET', '/api/clusters/os')).status, 404);
});

test('clusters:create reads the secret access key from a file; it is sent, never printed', async (t) => {
  const api = await loggedIn(t);
  const opts = { env: api.env, cwd: api.cwd };
  const file = join(api.cwd, 'secret');
  await writeFile(file, `${SECRET}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  /** What the server stored, decrypted. */
  const credentials = async (name: string) => (await getClusterSettings(api.server.scalarium.db, (await findCluster(api.server.scalarium.db, name))!)).credentials;

  const args = (name: string) => ['clusters:create', name, '--provider', 'null', '--region', 'eu-central-1', '--image', 'ami-0abc1234',
    '--access-key-id', 'AKIAIOSFODNN7EXAMPLE', '--secret-access-key-file', 'secret'];
  const created = await cli(args('prod2'), opts);
  t.is(created.code, 0, created.stderr);
  t.deepEqual(await credentials('prod2'), { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: SECRET });
  t.like(await must(api.server, 200, 'GET', '/api/clusters/prod2'), { settings: { region: 'eu-central-1', image: 'ami-0abc1234', credentials: 'stored (encrypted)' } });
  t.false(args('prod2').join(' ').includes(SECRET), 'the secret is not on the command line');
  t.false(created.stdout.includes(SECRET));
  t.false(created.stderr.includes(SECRET));
  t.is(created.stderr, 'Creating cluster prod2 (null)... done\n');

  const json = await cli([...args('prod2-json'), '--json'], opts);
  t.is(JSON.parse(json.stdout).settings.credentials, 'stored (encrypted)');
  t.false(json.stdout.includes(SECRET) || json.stderr.includes(SECRET));

  // ~/ is expanded; a file other users can read gets a warning (and still works)
  await writeFile(join(api.env.HOME!, 'aws-secret'), SECRET);
  await chmod(join(api.env.HOME!, 'aws-secret'), 0o644);
  const readable = await cli(['clusters:create', 'prod3', '--access-key-id', 'AKIAIOSFODNN7EXAMPLE', '--secret-access-key-file', '~/aws-secret'], opts);
  t.is(readable.code, 0, readable.stderr);
  t.like(await credentials('prod3'), { secretAccessKey: SECRET });
  t.regex(readable.stderr, /aws-secret can be read by other users of this machine: chmod 600 /);
  t.false(readable.stderr.includes(SECRET));

  // files that do not hold a secret alone: exit 1, nothing sent, the contents never shown
  const bad: [string, string, RegExp][] = [
    ['empty', '\n', /empty\.$/m],
    ['two-lines', `${SECRET}\nsecond-${SECRET}\n`, /holds more than one line or word/],
    ['credentials', `[default]\naws_access_key_id = AKIA\naws_secret_access_key = ${SECRET}\n`, /looks like an AWS credentials or config file/],
  ];
  for (const [name, text, message] of bad) {
    await writeFile(join(api.cwd, name), text, { mode: 0o600 });
    const result = await cli(['clusters:create', 'x', '--access-key-id', 'AKIA1', '--secret-access-key-file', name], opts);
    t.is(result.code, 1, name);
    t.regex(result.stderr, message, name);
    t.false(result.stderr.includes(SECRET), name);
  }
  const missing = await cli(['clusters:create', 'x', '--access-key-id', 'AKIA1', '--secret-access-key-file', 'nope'], opts);
  t.is(missing.code, 1);
  t.regex(missing.stderr, /^▸ .*\/nope does not exist\.\n  Put the secret access key alone in a file/);
  t.is((await api.server.api('GET', '/api/clusters/x')).status, 404, 'no cluster x was created');
});

test('usage errors exit 2 before any request is made', async (t) => {
  // The server is unreachable: had the CLI sent a request, the exit code would be 1.
  const box = await sandbox(t, { SCALARIUM_SERVER: 'http://127.0.0.1:9', SCALARIUM_TOKEN: UNKNOWN_TOKEN });
  const cwd = join(box.dir, 'work');
  await writeFile(join(cwd, 'secret'), SECRET, { mode: 0o600 });
  const cases: [string[], RegExp][] = [
    [['clusters:create'], /Missing NAME/],
    [['clusters:create', 'Prod!'], /"Prod!" is not a valid cluster name/],
    [['clusters:create', 'prod', '--roles', 'app=-1'], /The count of app must be a whole number from 0 to 100, got "-1"/],
    [['clusters:create', 'prod', '--roles', 'app=two'], /The count of app must be a whole number from 0 to 100, got "two"/],
    [['clusters:create', 'prod', '--roles', 'app=101'], /The count of app must be a whole number from 0 to 100, got "101"/],
    [['clusters:create', 'prod', '--roles', 'app=1.5'], /got "1\.5"/],
    [['clusters:create', 'prod', '--roles', 'app'], /Expected ROLE=COUNT, got "app"/],
    [['clusters:create', 'prod', '--roles', 'App=1'], /"App" is not a valid role name/],
    [['clusters:create', 'prod', '--roles', 'app=1,app=2'], /The role app is given twice/],
    [['clusters:create', 'prod', '--roles', ','], /No ROLE=COUNT given/],
    [['clusters:create', 'prod', '--endpoint', 'ftp://ec2.example'], /--endpoint must be an http:\/\/ or https:\/\/ URL/],
    [['clusters:create', 'prod', '--server-url', 'not a url'], /--server-url needs a value of at most 255 characters without spaces/],
    [['clusters:create', 'prod', '--server-url', 'scalarium.example'], /--server-url must be an http:\/\/ or https:\/\/ URL/],
    [['clusters:create', 'prod', '--region', ''], /--region needs a value/],
    [['clusters:create', 'prod', '--spot=yes'], /Option --spot does not take a value/],
    [['clusters:create', 'prod', '--access-key-id', 'AKIA1'], /--access-key-id needs --secret-access-key-file FILE/],
    [['clusters:create', 'prod', '--secret-access-key-file', 'secret'], /--secret-access-key-file needs --access-key-id ID/],
    [['clusters:create', 'prod', '--access-key-id', SECRET, '--secret-access-key-file', 'secret'], /--access-key-id must be letters and digits only/],
    [['clusters:create', 'prod', '--access-key-id', 'AKIA1', '--secret-access-key', SECRET], /--secret-access-key is not accepted/],
    [['clusters:create', 'prod', '--bogus'], /Unknown option --bogus for `scalarium clusters:create`/],
    [['clusters:info'], /Missing NAME/],
    [['clusters:info', 'a', 'b'], /Unexpected argument "b"/],
    [['clusters:scale'], /Missing NAME \[ROLE=COUNT\.\.\.\]/],
    [['clusters:scale', 'prod', 'app=lots'], /The count of app must be a whole number from 0 to 100, got "lots"/],
    [['clusters:scale', 'prod', 'app=1', 'app=2'], /The role app is given twice/],
    [['clusters:scale', 'prod', 'router'], /Expected ROLE=COUNT, got "router"/],
    [['clusters:destroy'], /Missing NAME/],
    [['clusters:destroy', 'BAD', '--confirm', 'BAD'], /"BAD" is not a valid cluster name/],
    [['events'], /Missing --cluster NAME/],
    [['events', '--cluster', 'Prod'], /"Prod" is not a valid cluster name/],
    [['events', '-c', 'prod', '--limit', '0'], /--limit must be a whole number from 1 to 1000, got "0"/],
    [['events', '-c', 'prod', '-n', '5000'], /--limit must be a whole number from 1 to 1000, got "5000"/],
    [['events', '-c', 'prod', '--verbose=yes'], /Option --verbose does not take a value/],
    [['apps:create', 'shop', '--cluster', 'Bad_Cluster'], /"Bad_Cluster" is not a valid cluster name/],
  ];
  for (const [args, message] of cases) {
    const result = await cli(args, { env: box.env, cwd });
    t.is(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    t.regex(result.stderr, message, args.join(' '));
    t.true(result.stderr.startsWith('▸ '), args.join(' '));
    t.is(result.stdout, '', args.join(' '));
    t.false(result.stderr.includes(SECRET), `${args.join(' ')}: the secret is never echoed`);
  }
  const withUsage = await cli(['clusters:scale', 'prod', 'app=x'], { env: box.env, cwd });
  t.regex(withUsage.stderr, /Use ROLE=COUNT with a role name and 0-100 instances, e\.g\. app=2 router=1\.\n  Usage: scalarium clusters:scale NAME \[ROLE=COUNT\.\.\.\] \[options\]/);
});

/**
 * A cluster "prod" of app=2 router=1 whose router failed; a new app instance then stops at each step
 * of its boot until the CLI has printed that step, so the CLI sees every step, whatever the timing.
 */
async function scaleWorld(t: ExecutionContext) {
  const api = await loggedIn(t);
  let stderr = '';
  api.server.cloud.script.boot = async (instance, step) => {
    routerFails(instance, step);
    if (instance.id === 'prod-app-3') await until(`the CLI to show prod-app-3 ${step}`, () => stderr.includes(`  prod-app-3 (app): ${step}\n`));
  };
  await nullCluster(api.server, 'prod', { app: 2, router: 1 }, { 'prod-app-1': 'online', 'prod-app-2': 'online', 'prod-router-1': 'failed' });
  return { ...api, onStderr: (all: string) => void (stderr = all) };
}

test('clusters:scale sends the counts, waits, and prints each instance\'s state changes', async (t) => {
  const api = await scaleWorld(t);
  const opts = { env: api.env, cwd: api.cwd };
  const result = await cli(['clusters:scale', 'prod', 'app=3'], { ...opts, onStderr: api.onStderr });
  t.is(result.code, 0, result.stderr);
  t.is(result.stdout, '');
  t.is(result.stderr, [
    'Scaling cluster prod to app=3...',
    '  prod-app-3 (app): requested',
    '  prod-app-3 (app): booting',
    '  prod-app-3 (app): setup',
    '  prod-app-3 (app): online',
    'Scaling cluster prod to app=3... done, now app=3 router=1; 3 of 4 instances online (1 failed)',
    `▸ prod-router-1 failed: ${NOT_CONNECTED}`,
    '  See what happened with: scalarium events --cluster prod --verbose',
    '',
  ].join('\n'));
  t.deepEqual(await stateOf(api.server, 'prod'), { 'prod-app-1': 'online', 'prod-app-2': 'online', 'prod-app-3': 'online', 'prod-router-1': 'failed' });

  // nothing changes on the way: one line, as the other progress lines; --json prints the answer
  const quick = await cli(['clusters:scale', 'local', 'app=1,router=1', '--json'], opts);
  t.is(quick.code, 0, quick.stderr);
  t.is(quick.stderr, 'Scaling cluster local to app=1 router=1... done, now app=1 router=1; 2 instances online\n');
  t.deepEqual(JSON.parse(quick.stdout), { roles: [{ name: 'app', count: 1 }, { name: 'router', count: 1 }] });

  // and back down: the instance goes through the real shutdown, and is stopped
  const down = await cli(['clusters:scale', 'prod', 'app=2'], opts);
  t.is(down.code, 0, down.stderr);
  t.is((await stateOf(api.server, 'prod'))['prod-app-3'], 'stopped');
  t.false(api.server.cloud.instances.has('prod-app-3'), 'its fake instance is gone');
});

test('clusters:scale on a TTY: a spinner with the count of online instances, change lines above it', async (t) => {
  const api = await scaleWorld(t);
  const result = await cli(['clusters:scale', 'prod', 'app=3'], { env: api.env, cwd: api.cwd, stderrTTY: true, onStderr: api.onStderr });
  t.is(result.code, 0, result.stderr);
  t.true(result.stderr.startsWith('\r\x1b[2K⠋ Scaling cluster prod to app=3... 2 of 3 instances online (1 failed)'), result.stderr);
  t.true(result.stderr.includes('\r\x1b[2K  prod-app-3 (app): online\n'));
  t.true(result.stderr.includes('\r\x1b[2KScaling cluster prod to app=3... done, now app=3 router=1; 3 of 4 instances online (1 failed)\n'));
});

test('clusters:destroy refuses without a matching --confirm, then sends DELETE', async (t) => {
  const api = await loggedIn(t);
  const opts = { env: api.env, cwd: api.cwd };
  await nullCluster(api.server, 'prod', { app: 1, router: 1 }, { 'prod-app-1': 'online', 'prod-router-1': 'online' });
  const refused = await cli(['clusters:destroy', 'prod'], opts);
  t.deepEqual(refused, {
    code: 1,
    stdout: '',
    stderr: '▸ This destroys the cluster prod and terminates its instances. It cannot be undone.\n' +
      '  To proceed, run: scalarium clusters:destroy prod --confirm prod\n',
  });
  const mismatch = await cli(['clusters:destroy', 'prod', '--confirm', 'local'], opts);
  t.is(mismatch.code, 1);
  t.regex(mismatch.stderr, /--confirm local does not match the cluster name prod; nothing was destroyed/);
  t.is((await api.server.api('GET', '/api/clusters/prod')).status, 200, 'prod is still there');

  const destroyed = await cli(['clusters:destroy', 'prod', '--confirm', 'prod'], opts);
  t.deepEqual(destroyed, { code: 0, stdout: '', stderr: 'Destroying cluster prod (terminating its instances)... done\n' });
  t.is((await api.server.api('GET', '/api/clusters/prod')).status, 404);
  t.deepEqual([...api.server.cloud.instances.keys()].filter((id) => id.startsWith('prod-')), [], 'its instances were terminated');

  // a cluster with apps: the server refuses
  await nullCluster(api.server, 'staging', { app: 1 }, { 'staging-app-1': 'online' });
  await must(api.server, 201, 'POST', '/api/apps', { name: 'web', cluster: 'staging' });
  const busy = await cli(['clusters:destroy', 'staging', '--confirm', 'staging'], opts);
  t.is(busy.code, 1);
  t.is(busy.stderr, 'Destroying cluster staging (terminating its instances)... failed\n▸ Invalid request: cluster staging still has apps: destroy or move them first.\n');
});

test('apps:create --cluster sends the cluster; without it the app goes to the local one', async (t) => {
  const api = await loggedIn(t);
  const opts = { env: api.env, cwd: api.cwd };
  await nullCluster(api.server, 'prod', { app: 1 }, { 'prod-app-1': 'online' });
  const created = await cli(['apps:create', 'fresh', '--cluster', 'prod'], opts);
  t.is(created.code, 0, created.stderr);
  t.is(created.stderr, 'Creating fresh on cluster prod... done\n');
  t.like(await must(api.server, 200, 'GET', '/api/apps/fresh'), { cluster: 'prod' });
  const json = await cli(['apps:create', 'fresher', '-c', 'prod', '--json'], opts);
  t.is(JSON.parse(json.stdout).cluster, 'prod');
  await cli(['apps:create', 'plain'], opts);
  t.like(await must(api.server, 200, 'GET', '/api/apps/plain'), { cluster: 'local' });
});

test('parseRoleCounts, formatRoles, formatDuration, cleanOutput', (t) => {
  t.deepEqual(parseRoleCounts(['app=2,router=1', ' worker=0 ']), { app: 2, router: 1, worker: 0 });
  t.throws(() => parseRoleCounts(['app=2', 'app=3']), { message: /given twice/ });
  t.throws(() => parseRoleCounts(['=2']), { message: /"" is not a valid role name/ });
  t.is(formatRoles([{ name: 'router', count: 1 }, { name: 'app', count: 2 }]), 'app=2 router=1');
  t.is(formatRoles({}), '(none)');
  t.is(formatDuration(812), '812 ms');
  t.is(formatDuration(4230), '4.2 s');
  t.is(formatDuration(125_000), '2m 5s');
  t.is(formatDuration(null), '-');
  t.is(cleanOutput('a\r\nb\x1b[31mred\x1b[0m\x07\tc'), 'a\nbred\tc');
});
