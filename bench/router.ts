// Router throughput and latency: autocannon against the deployed node-hello web process directly,
// then through scalarium-router with the app's Host header. Prints figures; no thresholds.
//
//   node --import tsx bench/router.ts [--duration 10] [--connections 50]
import autocannon from 'autocannon';
import { startTestServer, type TestServer } from '../test/helpers/server.ts';
import { authedGitUrl, createAppRepo, type AppRepo } from '../test/helpers/app-repo.ts';
import { waitForBody } from '../test/helpers/router-client.ts';
import { fmt, intArg, isMain, load, machine, onCleanup, printTable, runCleanups, sleep } from './lib.ts';

const APP = 'bench';
const BODY = 'hello from v1';
/** Seconds of unreported load before each measured run (JIT, connection set-up). */
const WARMUP_S = 2;

export interface RouterBenchOptions { duration: number; connections: number }

export interface TargetResult {
  name: string;
  url: string;
  requestsPerSec: number;
  p50: number;
  p99: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  mismatches: number;
  total: number;
}

export async function routerBench(options: RouterBenchOptions): Promise<{ direct: TargetResult; router: TargetResult }> {
  const { duration, connections } = options;
  console.log(`\n== router: autocannon, ${duration} s, ${connections} connections, node-hello with 1 web process ==`);
  console.log(`machine: ${machine()}`);
  console.log(`load average before: ${load()}`);

  let server: TestServer | undefined;
  let repo: AppRepo | undefined;
  const stopServer = onCleanup(async () => server?.cleanup());
  const removeRepo = onCleanup(() => repo?.cleanup());
  try {
    server = await startTestServer();
    repo = await createAppRepo('node-hello');
    const status = await server.api<{ domain?: string }>('GET', '/api/status');
    const host = `${APP}.${status.body.domain ?? 'localhost'}`;
    const created = await server.api('POST', '/api/apps', { name: APP });
    if (created.status !== 201) throw new Error(`could not create app: ${created.status} ${JSON.stringify(created.body)}`);
    const push = await repo.push(authedGitUrl(server.url, APP, server.token));
    if (push.code !== 0) throw new Error(`git push failed (${push.code}):\n${push.output}`);
    await waitForBody(server.routerPort, host, BODY);

    const ps = await server.api<Array<{ type: string; state: string; port: number | null }>>('GET', `/api/apps/${APP}/ps`);
    const web = ps.body.filter((p) => p.type === 'web' && p.state === 'ready' && p.port);
    if (web.length !== 1) throw new Error(`expected 1 ready web process, got ${JSON.stringify(ps.body)}`);
    const backendPort = web[0]!.port!;
    await sleep(500);

    const direct = await measure('direct', `http://127.0.0.1:${backendPort}/`, {}, options);
    await sleep(1000);
    const router = await measure('router', `http://127.0.0.1:${server.routerPort}/`, { host }, options);

    report(direct, router, options);
    console.log(`load average after: ${load()}`);
    return { direct, router };
  } finally {
    await stopServer();
    await removeRepo();
  }
}

async function measure(name: string, url: string, headers: Record<string, string>, options: RouterBenchOptions): Promise<TargetResult> {
  const common = { url, headers, connections: options.connections, expectBody: BODY };
  console.log(`${name}: ${url}${headers.host ? ` (Host: ${headers.host})` : ''}, ${WARMUP_S} s warm-up then ${options.duration} s`);
  await autocannon({ ...common, duration: WARMUP_S });
  const r = await autocannon({ ...common, duration: options.duration, title: name });
  return {
    name, url, requestsPerSec: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors, timeouts: r.timeouts,
    non2xx: r.non2xx, mismatches: r.mismatches, total: r.requests.total,
  };
}

function report(direct: TargetResult, router: TargetResult, options: RouterBenchOptions): void {
  console.log(`\nrouter benchmark, ${options.duration} s, ${options.connections} connections`);
  const row = (r: TargetResult) => [
    r.name, fmt(r.requestsPerSec), fmt(r.p50, 1), fmt(r.p99, 1), String(r.errors), String(r.non2xx), String(r.mismatches), String(r.total),
  ];
  printTable([
    ['target', 'req/s (avg)', 'p50 ms', 'p99 ms', 'errors', 'non-2xx', 'wrong body', 'requests'],
    row(direct),
    row(router),
  ]);
  const ratio = router.requestsPerSec / direct.requestsPerSec;
  console.log(`router overhead: throughput ratio router/direct = ${fmt(ratio, 2)} (${fmt((1 - ratio) * 100)}% fewer req/s), ` +
    `added p50 = ${fmt(router.p50 - direct.p50, 1)} ms, added p99 = ${fmt(router.p99 - direct.p99, 1)} ms`);
}

if (isMain(import.meta.url)) {
  const argv = process.argv.slice(2);
  routerBench({ duration: intArg(argv, 'duration', 10), connections: intArg(argv, 'connections', 50) }).then(
    () => process.exit(0),
    async (error: Error) => {
      console.error(error.stack ?? error.message);
      await runCleanups();
      process.exit(1);
    },
  );
}
