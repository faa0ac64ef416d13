// Tests of the cluster commands: clusters, clusters:create/info/scale/destroy, events and
// apps:create --cluster. The API is the fake of test-support.ts (a stand-in shaped as in docs/api.md,
// "Clusters"); the tests check what the CLI sends, that --json passes the API's JSON through, the
// human output, the progress lines of clusters:scale, the usage errors, and that a secret access key
// is read from its file and never printed.
import test from 'ava';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatRoles, parseRoleCounts, scaleWatch } from './commands/clusters.ts';
import { cleanOutput, formatDuration } from './commands/events.ts';
import { CLUSTERS, cli, EVENTS, LOCAL_CLUSTER, loggedIn, PROD_CLUSTER, sandbox, TOKEN } from './test-support.ts';

scaleWatch.intervalMs = 5; // clusters:scale looks at the instances every 5 ms while it waits

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

test('--json prints the raw API JSON of clusters, clusters:info, events and clusters:scale', async (t) => {
  const api = await loggedIn(t);
  const cases: [string[], unknown][] = [
    [['clusters', '--json'], CLUSTERS],
    [['clusters:info', 'prod', '--json'], PROD_CLUSTER],
    [['clusters:info', 'local', '--json'], LOCAL_CLUSTER],
    [['events', '--cluster', 'prod', '--json'], EVENTS],
    [['events', '-c', 'prod', '-n', '2', '--json'], EVENTS.slice(0, 2)],
    [['clusters:scale', 'local', '--json'], { roles: LOCAL_CLUSTER.roles }],
  ];
  for (const [args, expected] of cases) {
    const result = await cli(args, { env: api.env, cwd: api.cwd });
    t.is(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    t.deepEqual(JSON.parse(result.stdout), expected, args.join(' '));
    t.is(result.stderr, '', args.join(' '));
  }
  t.deepEqual(api.requests.map((r) => `${r.method} ${r.path}`), [
    'GET /api/clusters', 'GET /api/clusters/prod', 'GET /api/clusters/local', 'GET /api/clusters/prod/events',
    'GET /api/clusters/prod/events', 'GET /api/clusters/local',
  ]);
  t.deepEqual(api.requests[3].query, {});
  t.deepEqual(api.requests[4].query, { limit: '2' });
  t.true(api.requests.every((r) => r.authorization === `Bearer ${TOKEN}`));
});

test('human output: clusters, clusters:info, events, events --verbose', async (t) => {
  const api = await loggedIn(t);
  const opts = { env: api.env, cwd: api.cwd };

  t.is((await cli(['clusters'], opts)).stdout, [
    'NAME   PROVIDER  ROLES           INSTANCES  APPS',
    'local  local     app=1 router=1  2/2        blog,shop',
    'prod   ec2       app=2 router=1  1/3        -',
    '',
  ].join('\n'));

  t.is((await cli(['clusters:info', 'prod'], opts)).stdout, [
    '=== prod',
    'Provider:       ec2',
    'Region:         eu-central-1',
    'Endpoint:       https://ec2.example:8773',
    'Image:          ami-0abc1234',
    'Instance type:  t3.small',
    'Spot:           no',
    'Credentials:    stored (encrypted)',
    'Roles:          app=2 router=1',
    'Instances:      1 of 3 instances online (1 booting, 1 failed), 3 wanted',
    'Apps:           none',
    '',
    '=== Instances (3)',
    'ID                  ROLE    STATE    ADDRESS    PROVIDER-ID  CONNECTED',
    'prod-app-1a2b3c     app     online   10.0.1.12  i-0abc       yes',
    'prod-app-4d5e6f     app     booting  -          i-0def       no',
    'prod-router-7a8b9c  router  failed   10.0.1.13  i-0123       no',
    '',
    'prod-router-7a8b9c failed: the agent did not connect within 600 s',
    'The lifecycle event runs may tell more: scalarium events --cluster prod --verbose',
    '',
  ].join('\n'));

  t.is((await cli(['clusters:info', 'local'], opts)).stdout, [
    '=== local',
    'Provider:   local',
    'Roles:      app=1 router=1',
    'Instances:  2 instances online, 2 wanted',
    'Apps:       blog, shop',
    '',
    '=== Instances (2)',
    'ID              ROLE    STATE   ADDRESS    PROVIDER-ID  CONNECTED',
    'local-1         app     online  127.0.0.1  -            yes',
    'local-router-1  router  online  127.0.0.1  -            yes',
    '',
  ].join('\n'));

  t.is((await cli(['events', '--cluster', 'prod'], opts)).stdout, [
    'AT                       EVENT      INSTANCE         APP   STATUS     DURATION  REASON',
    '2026-11-28 10:02:00 UTC  setup      prod-app-4d5e6f  -     running    -         -',
    '2026-11-28 10:01:00 UTC  deploy     prod-app-1a2b3c  shop  failed     4.2 s     hook exited with 1',
    '2026-11-28 10:00:00 UTC  configure  prod-app-1a2b3c  -     succeeded  812 ms    -',
    '',
  ].join('\n'));

  // --verbose: each run's output under its row, indented, terminal escapes removed
  t.is((await cli(['events', '--cluster', 'prod', '--verbose'], opts)).stdout, [
    'AT                       EVENT      INSTANCE         APP   STATUS     DURATION  REASON',
    '2026-11-28 10:02:00 UTC  setup      prod-app-4d5e6f  -     running    -         -',
    '    (no output yet)',
    '2026-11-28 10:01:00 UTC  deploy     prod-app-1a2b3c  shop  failed     4.2 s     hook exited with 1',
    '    installing',
    '    npm ERR! missing script',
    '2026-11-28 10:00:00 UTC  configure  prod-app-1a2b3c  -     succeeded  812 ms    -',
    '    router backends: 1',
    '',
  ].join('\n'));

  t.is((await cli(['events', '--cluster', 'local'], opts)).stdout, 'No lifecycle events on cluster local yet.\n');
  t.is((await cli(['clusters:scale', 'prod'], opts)).stdout, 'app=2 router=1\n');

  // apps and apps:info show the app's cluster
  t.regex((await cli(['apps'], opts)).stdout, /^NAME +CLUSTER +RELEASE +FORMATION +URL\nblog +local +- /);
  t.regex((await cli(['apps:info', '-a', 'shop'], opts)).stdout, /\nFormation: +web=2 worker=1\nCluster: +local\nCreated: /);
});

test('an unknown cluster: the API error with a hint to list clusters, exit 1', async (t) => {
  const api = await loggedIn(t);
  for (const args of [['clusters:info', 'nope'], ['events', '-c', 'nope'], ['clusters:scale', 'nope', 'app=1'], ['apps:create', 'fresh', '--cluster', 'nope']]) {
    const result = await cli(args, { env: api.env, cwd: api.cwd });
    t.is(result.code, 1, args.join(' '));
    t.true(result.stderr.endsWith('▸ No cluster named "nope".\n  Run `scalarium clusters` to list clusters.\n'), `${args.join(' ')}: ${result.stderr}`);
    t.is(result.stdout, '', args.join(' '));
  }
});

test('clusters:create sends name, provider, settings and roles', async (t) => {
  const api = await loggedIn(t);
  const opts = { env: api.env, cwd: api.cwd };

  const plain = await cli(['clusters:create', 'staging'], opts);
  t.is(plain.code, 0, plain.stderr);
  t.like(api.requests[0], { method: 'POST', path: '/api/clusters', body: { name: 'staging', provider: 'local', settings: {} } });
  t.is(plain.stderr, 'Creating cluster staging (local)... done\n');
  t.is(plain.stdout, [
    'Created cluster staging: provider local, roles app=1 router=1.',
    'Its instances start in the background; watch them with: scalarium clusters:info staging',
    'Put apps on it with: scalarium apps:create APP --cluster staging',
    '',
  ].join('\n'));

  const full = await cli([
    'clusters:create', 'eu', '--provider', 'ec2', '--region', 'eu-central-1', '--endpoint', 'https://ec2.my-cloud:8773',
    '--image', 'ami-0abc1234', '--instance-type', 't3.small', '--subnet', 'subnet-42', '--key-pair', 'ops', '--spot',
    '--server-url', 'https://scalarium.example.com', '--roles', 'app=2,router=1,worker=0', '--json',
  ], opts);
  t.is(full.code, 0, full.stderr);
  t.deepEqual(api.requests[1].body, {
    name: 'eu',
    provider: 'ec2',
    settings: {
      region: 'eu-central-1', endpoint: 'https://ec2.my-cloud:8773', image: 'ami-0abc1234', instanceType: 't3.small',
      subnet: 'subnet-42', keyPair: 'ops', spot: true, serverUrl: 'https://scalarium.example.com',
    },
    roles: { app: 2, router: 1, worker: 0 },
  });
  t.like(JSON.parse(full.stdout), { name: 'eu', provider: 'ec2', roles: [{ name: 'app', count: 2 }, { name: 'router', count: 1 }, { name: 'worker', count: 0 }] });

  // any other provider is the server's to judge: sent as given
  const other = await cli(['clusters:create', 'os', '--provider', 'openstack'], opts);
  t.is(other.code, 1);
  t.deepEqual(api.requests[2].body, { name: 'os', provider: 'openstack', settings: {} });
  t.is(other.stderr, 'Creating cluster os (openstack)... failed\n▸ Invalid request: no provider "openstack" is loaded (local, ec2).\n');
});

test('clusters:create reads the secret access key from a file; it is sent, never printed', async (t) => {
  const api = await loggedIn(t);
  const opts = { env: api.env, cwd: api.cwd };
  const file = join(api.cwd, 'secret');
  await writeFile(file, `${SECRET}\n`, { mode: 0o600 });
  await chmod(file, 0o600);

  const args = ['clusters:create', 'prod2', '--provider', 'ec2', '--region', 'eu-central-1', '--image', 'ami-0abc1234',
    '--access-key-id', 'AKIAIOSFODNN7EXAMPLE', '--secret-access-key-file', 'secret'];
  const created = await cli(args, opts);
  t.is(created.code, 0, created.stderr);
  t.deepEqual(api.requests[0].body, {
    name: 'prod2',
    provider: 'ec2',
    settings: { region: 'eu-central-1', image: 'ami-0abc1234', credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: SECRET } },
  });
  t.false(args.join(' ').includes(SECRET), 'the secret is not on the command line');
  t.false(created.stdout.includes(SECRET));
  t.false(created.stderr.includes(SECRET));
  t.is(created.stderr, 'Creating cluster prod2 (ec2)... done\n');

  const json = await cli([...args, '--json'], opts);
  t.is(JSON.parse(json.stdout).settings.credentials, 'stored (encrypted)');
  t.false(json.stdout.includes(SECRET) || json.stderr.includes(SECRET));

  // ~/ is expanded; a file other users can read gets a warning (and still works)
  await writeFile(join(api.env.HOME!, 'aws-secret'), SECRET);
  await chmod(join(api.env.HOME!, 'aws-secret'), 0o644);
  const readable = await cli(['clusters:create', 'prod3', '--access-key-id', 'AKIAIOSFODNN7EXAMPLE', '--secret-access-key-file', '~/aws-secret'], opts);
  t.is(readable.code, 0, readable.stderr);
  t.like(api.requests.at(-1)?.body, { settings: { credentials: { secretAccessKey: SECRET } } });
  t.regex(readable.stderr, /aws-secret can be read by other users of this machine: chmod 600 /);
  t.false(readable.stderr.includes(SECRET));

  // files that do not hold a secret alone: exit 1, nothing sent, the contents never shown
  const count = api.requests.length;
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
  t.is(api.requests.length, count);
});

test('usage errors exit 2 before any request is made', async (t) => {
  // The server is unreachable: had the CLI sent a request, the exit code would be 1.
  const box = await sandbox(t, { SCALARIUM_SERVER: 'http://127.0.0.1:9', SCALARIUM_TOKEN: TOKEN });
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

test('clusters:scale sends the counts, waits, and prints each instance\'s state changes', async (t) => {
  const api = await loggedIn(t);
  const opts = { env: api.env, cwd: api.cwd };
  const result = await cli(['clusters:scale', 'prod', 'app=3'], opts);
  t.is(result.code, 0, result.stderr);
  const patch = api.requests.find((r) => r.method === 'PATCH');
  t.like(patch, { path: '/api/clusters/prod/roles', body: { app: 3 } });
  t.is(result.stdout, '');
  t.is(result.stderr, [
    'Scaling cluster prod to app=3...',
    '  prod-app-9f9f9f (app): requested',
    '  prod-app-9f9f9f (app): booting',
    '  prod-app-9f9f9f (app): online',
    'Scaling cluster prod to app=3... done, now app=3 router=1; 2 of 4 instances online (1 booting, 1 failed)',
    '▸ prod-router-7a8b9c failed: the agent did not connect within 600 s',
    '  See what happened with: scalarium events --cluster prod --verbose',
    '',
  ].join('\n'));

  // nothing changes on the way: one line, as the other progress lines; --json prints the answer
  const quick = await cli(['clusters:scale', 'local', 'app=2,router=1', '--json'], opts);
  t.is(quick.code, 0, quick.stderr);
  t.like(api.requests.find((r) => r.method === 'PATCH' && r.path === '/api/clusters/local/roles'), { body: { app: 2, router: 1 } });
  t.is(quick.stderr, 'Scaling cluster local to app=2 router=1... done, now app=2 router=1; 2 instances online\n');
  t.deepEqual(JSON.parse(quick.stdout), { roles: [{ name: 'app', count: 2 }, { name: 'router', count: 1 }] });
});

test('clusters:scale on a TTY: a spinner with the count of online instances, change lines above it', async (t) => {
  const api = await loggedIn(t);
  const result = await cli(['clusters:scale', 'prod', 'app=3'], { env: api.env, cwd: api.cwd, stderrTTY: true });
  t.is(result.code, 0, result.stderr);
  t.true(result.stderr.startsWith('\r\x1b[2K⠋ Scaling cluster prod to app=3... 1 of 3 instances online (1 booting, 1 failed)'));
  t.true(result.stderr.includes('\r\x1b[2K  prod-app-9f9f9f (app): online\n'));
  t.true(result.stderr.includes('\r\x1b[2KScaling cluster prod to app=3... done, now app=3 router=1; 2 of 4 instances online (1 booting, 1 failed)\n'));
});

test('clusters:destroy refuses without a matching --confirm, then sends DELETE', async (t) => {
  const api = await loggedIn(t);
  const opts = { env: api.env, cwd: api.cwd };
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
  t.is(api.requests.length, 0);

  const destroyed = await cli(['clusters:destroy', 'prod', '--confirm', 'prod'], opts);
  t.deepEqual(destroyed, { code: 0, stdout: '', stderr: 'Destroying cluster prod (terminating its instances)... done\n' });
  t.like(api.requests[0], { method: 'DELETE', path: '/api/clusters/prod' });

  // a cluster with apps: the server refuses
  const busy = await cli(['clusters:destroy', 'local', '--confirm', 'local'], opts);
  t.is(busy.code, 1);
  t.is(busy.stderr, 'Destroying cluster local (terminating its instances)... failed\n▸ Invalid request: cluster local still has apps: destroy or move them first.\n');
});

test('apps:create --cluster sends the cluster; without it the body has the name only', async (t) => {
  const api = await loggedIn(t);
  const opts = { env: api.env, cwd: api.cwd };
  const created = await cli(['apps:create', 'fresh', '--cluster', 'prod'], opts);
  t.is(created.code, 0, created.stderr);
  t.deepEqual(api.requests[0].body, { name: 'fresh', cluster: 'prod' });
  t.is(created.stderr, 'Creating fresh on cluster prod... done\n');
  const json = await cli(['apps:create', 'fresher', '-c', 'prod', '--json'], opts);
  t.is(JSON.parse(json.stdout).cluster, 'prod');
  await cli(['apps:create', 'plain'], opts);
  t.deepEqual(api.requests[2].body, { name: 'plain' });
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
