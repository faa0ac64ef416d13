// Log drains: what a line costs on the app's path (hooks.log, which drains tap) with no drains, with
// healthy drains and with stuck ones, and how many lines/s reach a syslog and an HTTPS receiver on
// loopback. The real server in-process (test/helpers/harness.ts), receivers from
// plugins/log-drains/test-receivers.ts. Prints figures; no thresholds.
//   node --import tsx bench/log-drains.ts [--lines N] (default 100000)
import { createTestScalarium } from '../test/helpers/harness.ts';
import { httpsReceiver, syslogReceiver, testCertificate } from '../plugins/log-drains/test-receivers.ts';
import { fmt, intArg, load, machine, printTable } from './lib.ts';

const LINES = intArg(process.argv.slice(2), 'lines', 100_000);
const LINE = 'at=info method=GET path="/products/42" host=shop.example.org fwd="203.0.113.7" dyno=web.1 connect=1ms service=12ms status=200 bytes=5123';

console.log(`log drains: ${LINES} lines of ${LINE.length} bytes; ${machine()}; load ${load()}`);
const cert = await testCertificate();
const receivers = {
  syslog: await syslogReceiver(), tls: await syslogReceiver({ tls: { key: cert.key, cert: cert.cert } }), https: await httpsReceiver(cert),
  neverReads: await syslogReceiver({ read: false }), failing: await httpsReceiver(cert),
};
receivers.failing.status = 500;
const s = await createTestScalarium({
  env: { SCALARIUM_OUTBOUND_ALLOW: '127.0.0.2/32', SCALARIUM_DRAINS_CA_FILE: cert.caFile, SCALARIUM_DRAINS_BUFFER_MESSAGES: String(LINES * 2), SCALARIUM_DRAINS_BUFFER_BYTES: String(512 * 1024 * 1024) },
});
const rows: Array<Array<string | number>> = [['case', 'hook calls/s', 'lines/s delivered', 'ms until all arrived']];
try {
  const emit = (app: string, n: number) => {
    const started = process.hrtime.bigint();
    for (let i = 0; i < n; i++) s.scalarium.hooks.log.call({ app, source: 'web.1', line: `${LINE} seq=${i}`, at: new Date().toISOString() });
    return Number(process.hrtime.bigint() - started) / 1e6;
  };
  const caseOf = async (name: string, app: string, drains: Array<{ url: string; format?: string }>, waitFor?: { until(n: number, what?: string, timeoutMs?: number): Promise<unknown> }) => {
    await s.api('POST', '/api/apps', { name: app });
    for (const drain of drains) await s.api('POST', `/api/apps/${app}/drains`, drain);
    const started = Date.now();
    const hookMs = emit(app, LINES);
    if (waitFor) await waitFor.until(LINES, `${LINES} lines`, 600_000);
    const allMs = Date.now() - started;
    rows.push([name, fmt(LINES / (hookMs / 1000)), waitFor ? fmt(LINES / (allMs / 1000)) : '-', waitFor ? allMs : '-']);
  };
  await caseOf('no drains', 'plain', []);
  await caseOf('syslog (TCP)', 'tcp', [{ url: receivers.syslog.url }], receivers.syslog);
  await caseOf('syslog+tls', 'tls', [{ url: receivers.tls.url }], receivers.tls);
  await caseOf('https logplex', 'logplex', [{ url: receivers.https.url }], receivers.https);
  await caseOf('never-reading + HTTP 500 drains', 'stuck', [{ url: receivers.neverReads.url }, { url: receivers.failing.url }]);
  printTable(rows);
} finally {
  await s.close();
  await Promise.all(Object.values(receivers).map((r) => r.stop()));
  cert.remove();
}
