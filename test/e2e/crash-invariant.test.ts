// Invariant 1 under kill -9: the server cuts its own power (SIGKILL) at each step of the
// orchestrator (server/deploy/fault.ts) during a push, a config change and a rollback. After a
// restart the branch is the latest release's commit, the stored config is what the live process
// runs with, and the live process is the latest release — the new one if and only if the crash
// came after the commit. SCALARIUM_CRASH_RUNS repeats every case (default 1).
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { authedGitUrl, createAppRepo, setResponse, type AppRepo } from '../helpers/app-repo.ts';
import { waitForBody } from '../helpers/router-client.ts';
import { STEPS, type Step } from '../../server/deploy/fault.ts';
import { isAlive } from '../helpers/processes.ts';

const APP = 'lazarus';
const HOST = `${APP}.localhost`;
const RUNS = Number(process.env.SCALARIUM_CRASH_RUNS ?? 1);
let server: TestServer;
let repo: AppRepo;
let remote: string;
let counter = 0;
/** commit → the response text its code answers with. */
const responses = new Map<string, string>();

const id = (prefix: string) => `${prefix}${String(++counter).padStart(4, '0')}`;

interface Releases { version: number; commit: string }

async function latest(): Promise<Releases> {
  const res = await server.api('GET', `/api/apps/${APP}/releases`);
  return res.body[0] as Releases;
}

async function branch(name = 'main'): Promise<string> {
  const { stdout } = await repo.git('ls-remote', remote, `refs/heads/${name}`);
  return stdout.split('\t')[0] ?? '';
}

/** A new commit of the app answering with a text of its own. */
async function newCommit(): Promise<string> {
  const text = id('text-');
  setResponse(repo, text);
  const sha = await repo.commit(text);
  responses.set(sha, text);
  return sha;
}

/** Branch = latest release's commit; what the router serves = that commit's code with the stored config. */
async function assertConsistent(t: import('ava').ExecutionContext, label: string): Promise<Releases> {
  const release = await latest();
  t.is(await branch(), release.commit, `${label}: main is the latest release's commit`);
  const config = (await server.api('GET', `/api/apps/${APP}/config`)).body as Record<string, string>;
  await waitForBody(server.routerPort, HOST, `${responses.get(release.commit)} ${config.GREETING}`);
  // Reconciling after the restart stops what an uncommitted rollout left running: eventually.
  let ps: Array<{ release: number; state: string }> = [];
  const deadline = Date.now() + 30_000;
  do {
    ps = (await server.api('GET', `/api/apps/${APP}/ps`)).body;
    if (ps.length > 0 && ps.every((p) => p.release === release.version)) break;
    await new Promise((r) => setTimeout(r, 200));
  } while (Date.now() < deadline);
  t.true(ps.length > 0 && ps.every((p) => p.release === release.version), `${label}: every process runs v${release.version}: ${JSON.stringify(ps)}`);
  // The lease is free once reconciling is done (it may still hold it for a moment).
  let lock = await server.api('PATCH', `/api/apps/${APP}/formation`, { web: 1 });
  for (let i = 0; i < 50 && lock.body?.error?.code === 'app_locked'; i++) {
    await new Promise((r) => setTimeout(r, 200));
    lock = await server.api('PATCH', `/api/apps/${APP}/formation`, { web: 1 });
  }
  t.is(lock.status, 200, `${label}: the app is not left locked: ${JSON.stringify(lock.body)}`);
  return release;
}

/** Runs `change` with the server set to die at `step`; restarts it; says whether the change had committed. */
async function crashDuring(t: import('ava').ExecutionContext, step: Step, label: string, change: () => Promise<unknown>): Promise<void> {
  const before = await latest();
  const pid = server.pid!;
  fs.writeFileSync(path.join(server.dataDir, 'fault-kill-at'), step);
  await change().catch(() => {});
  // The change must have reached the step: the server is gone.
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && isAlive(pid)) await new Promise((r) => setTimeout(r, 50));
  t.false(isAlive(pid), `${label}: the server died at ${step}`);
  fs.rmSync(path.join(server.dataDir, 'fault-kill-at'), { force: true });
  await server.stop(); // forgets the dead process
  await server.restart();
  const after = await assertConsistent(t, label);
  const committed = STEPS.indexOf(step) >= STEPS.indexOf('committed');
  t.is(after.version, committed ? before.version + 1 : before.version, `${label}: the release exists exactly when the crash came after the commit`);
}

test.before(async () => {
  server = await startTestServer({ env: { SCALARIUM_FAULT_INJECTION: '1' } });
  repo = await createAppRepo('node-hello');
  remote = authedGitUrl(server.url, APP, server.token);
  await server.api('POST', '/api/apps', { name: APP });
  await server.api('PATCH', `/api/apps/${APP}/config`, { GREETING: id('g-') });
  await newCommit();
  const push = await repo.push(remote);
  if (push.code !== 0) throw new Error(push.output);
});

test.after.always(async () => {
  await server?.cleanup();
  repo?.cleanup();
});

test.serial('with main the deploy branch, a push of master is stored and deploys nothing; master:main deploys it', async (t) => {
  const before = await latest();
  const mainBefore = await branch();
  const sha = await newCommit();
  const push = await repo.git('push', '--porcelain', remote, 'main:master');
  t.regex(push.stdout, /refs\/heads\/master/);
  t.regex(push.stderr, /Only pushes to main deploy/);
  t.regex(push.stderr, /git push scalarium master:main/);
  t.is(await branch('master'), sha);
  t.is(await branch(), mainBefore, 'main stays at the live release');
  t.is((await latest()).version, before.version, 'no release');
  await assertConsistent(t, 'master push');

  await repo.git('branch', '-f', 'master', 'main');
  const deployed = await repo.git('push', '--porcelain', remote, 'master:main');
  t.regex(deployed.stdout, /refs\/heads\/main/, deployed.stderr);
  t.is(await branch(), sha);
  t.is((await latest()).version, before.version + 1);
  await assertConsistent(t, 'master:main push');
});

for (let run = 1; run <= RUNS; run++) {
  for (const step of STEPS) {
    test.serial(`run ${run}: kill -9 at "${step}" of a push, a config change and a rollback keeps branch, release and config in step`, async (t) => {
      await crashDuring(t, step, `push, ${step}`, async () => {
        await newCommit();
        return repo.push(remote);
      });
      await crashDuring(t, step, `config, ${step}`, () => server.api('PATCH', `/api/apps/${APP}/config`, { GREETING: id('g-') }));
      await crashDuring(t, step, `rollback, ${step}`, () => server.api('POST', `/api/apps/${APP}/rollback`, {}));
    });
  }
}
