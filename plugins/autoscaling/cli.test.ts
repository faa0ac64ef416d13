// The autoscale and healing commands against a real server (the harness, null-provider instances):
// what they send, what they print, and the usage errors that send nothing.
import test from 'ava';
import { cli, loggedIn, shopAndBlog } from '../../cli/test-support.ts';

test('autoscale:set, :schedule, autoscale, :unschedule and :remove for a role and a process type', async (t) => {
  const opts = await loggedIn(t);
  await shopAndBlog(opts.server);

  const set = await cli(['autoscale:set', '--cluster', 'local', '--role', 'app', '--min', '1', '--max', '4', '--cpu-above', '70', '--cpu-below', '30', '--for', '5m', '--cooldown', '2m'], opts);
  t.is(set.code, 0, set.stderr);
  t.is(set.stdout, 'Autoscaling role app of cluster local: +1 when cpu > 70 % for 5m, -1 when cpu < 30 % for 5m within 1-4, cooldown 2m\n');
  const web = await cli(['autoscale:set', '--app', 'shop', '--type', 'web', '--min', '2', '--max', '10', '--p95-above', '300ms', '--dry-run'], opts);
  t.is(web.code, 0, web.stderr);
  t.regex(web.stdout, /^Autoscaling web of app shop: dry run: \+1 when p95 > 300 ms for 5m within 2-10/);
  const schedule = await cli(['autoscale:schedule', '--cluster', 'local', '--role', 'app', '--count', '3', '--cron', '0 8 * * 1-5', '--tz', 'Europe/Berlin'], opts);
  t.is(schedule.code, 0, schedule.stderr);
  const id = /^Schedule #(\d+) of role app of cluster local: 3 at "0 8 \* \* 1-5" \(Europe\/Berlin\), next /.exec(schedule.stdout)?.[1];
  t.truthy(id, schedule.stdout);

  const shown = await cli(['autoscale', '--cluster', 'local'], opts);
  t.is(shown.code, 0, shown.stderr);
  t.regex(shown.stdout, /=== cluster local, role app: \d+ now\npolicy: {3}\+1 when cpu > 70 %/);
  t.regex(shown.stdout, new RegExp(`schedule: #${id} 3 at "0 8 \\* \\* 1-5" \\(Europe/Berlin\\), next `));
  const app = await cli(['autoscale', '--app', 'shop', '--json'], opts);
  t.like(JSON.parse(app.stdout).targets[0], { type: 'web', current: 2, policy: { metric: 'p95', above: '300 ms', dryRun: true } });

  t.is((await cli(['autoscale:unschedule', id!, '--cluster', 'local'], opts)).stdout, `Schedule #${id} removed.\n`);
  t.is((await cli(['autoscale:remove', '--cluster', 'local', '--role', 'app'], opts)).code, 0);
  const again = await cli(['autoscale:remove', '--cluster', 'local', '--role', 'app'], opts);
  t.is(again.code, 1);
  t.regex(again.stderr, /role app of cluster local has no autoscaling policy/);
});

test('bad autoscale and healing commands are usage errors or the server\'s clear refusal', async (t) => {
  const opts = await loggedIn(t);
  await shopAndBlog(opts.server);
  const cases: Array<[string[], number, RegExp]> = [
    [['autoscale:set', '--cluster', 'local', '--min', '1', '--max', '2', '--cpu-above', '70'], 2, /Give the role: --role NAME/],
    [['autoscale:set', '--cluster', 'local', '--role', 'app', '--min', '1', '--max', '2'], 2, /Give a metric/],
    [['autoscale:set', '--cluster', 'local', '--role', 'app', '--min', '1', '--max', '2', '--cpu-above', '70', '--load-above', '3'], 2, /Give one metric, not cpu and load/],
    [['autoscale:set', '--cluster', 'local', '--role', 'app', '--max', '2', '--cpu-above', '70'], 2, /Give --min and --max/],
    [['autoscale:set', '--cluster', 'local', '--role', 'app', '--min', '3', '--max', '2', '--cpu-above', '70'], 1, /min \(3\) must not be above max \(2\)/],
    [['autoscale:set', '--app', 'shop', '--type', 'worker', '--min', '1', '--max', '2', '--p95-above', '300ms'], 1, /only a web process type scales on it/],
    [['autoscale:schedule', '--cluster', 'local', '--role', 'app', '--count', '2', '--cron', '0 8 * * *', '--tz', 'Nowhere/City'], 1, /time zone "Nowhere\/City" is unknown/],
    [['autoscale:unschedule', 'x', '--cluster', 'local'], 2, /The schedule id is a whole number/],
    [['healing'], 2, /Give the cluster: --cluster NAME/],
    [['healing:set', '--cluster', 'local'], 2, /Nothing to change/],
    [['healing:set', '--cluster', 'local', '--replace-after', '5s'], 1, /replaceAfter \(5s\) must be longer than suspectAfter \(15s\)/],
  ];
  for (const [args, code, message] of cases) {
    const out = await cli(args, opts);
    t.is(out.code, code, `${args.join(' ')}: ${out.stderr}`);
    t.regex(out.stderr, message, args.join(' '));
  }
  const healing = await cli(['healing:set', '--cluster', 'local', '--dry-run', '--replace-after', '1m'], opts);
  t.is(healing.code, 0, healing.stderr);
  t.regex(healing.stdout, /^Healing of cluster local: dry run: suspect after 15s of silence, replaced after 1m\n/);
});
