// All benchmarks, one after the other (`npm run bench`). Each also runs alone:
//   node --import tsx bench/push-to-live.ts [--runs 5]
//   node --import tsx bench/router.ts [--duration 10] [--connections 50]
//   node --import tsx bench/cli-start.ts [--runs 10]
// The 1,000-instance ones (simulated-fleet.ts, healing-simulated.ts, metric-store.ts…) run alone only (bench/README.md):
//   node --import tsx bench/healing-simulated.ts [--instances 1000] [--kill 100] [--suspect-after 2] [--replace-after 3]
// Options given here are passed on: npm run bench -- --runs 3 --duration 5
import { pushToLive } from './push-to-live.ts';
import { routerBench } from './router.ts';
import { cliStart } from './cli-start.ts';
import { intArg, runCleanups } from './lib.ts';

const argv = process.argv.slice(2);
const started = new Date();
console.log(`scalarium benchmarks, ${started.toISOString()}`);

try {
  await pushToLive({ runs: intArg(argv, 'runs', 5) });
  await routerBench({ duration: intArg(argv, 'duration', 10), connections: intArg(argv, 'connections', 50) });
  await cliStart({ runs: intArg(argv, 'runs', 10) });
  console.log(`\ndone in ${((Date.now() - started.getTime()) / 1000).toFixed(0)} s`);
  process.exit(0);
} catch (error) {
  console.error((error as Error).stack ?? String(error));
  await runCleanups();
  process.exit(1);
}
