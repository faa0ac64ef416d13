// The sandbox, run for real: commands confined in each mode the host can give (these tests run as
// root, so uid mode is real; bubblewrap mode as an ordinary user is played by spawning the
// sandbox as an unprivileged uid, which is what a non-root server does).
import test from 'ava';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { confine, type Confinement } from './confine.ts';
import { detectIsolation, IsolationRefused, which, type HostProbe, type Isolation } from './isolation.ts';

const APP = { uid: 200_900, gid: 200_900 };
const BWRAP = which('bwrap');
const SETPRIV = which('setpriv');

interface World { root: string; own: string; secret: string; remove(): void }

/** <root 0711>/own (the app's, 0700) and <root>/secret (the platform's, 0600). */
function world(owner?: { uid: number; gid: number }): World {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'scalarium-confine-'));
  fs.chmodSync(root, 0o711);
  const own = path.join(root, 'own');
  fs.mkdirSync(own, { mode: 0o700 });
  if (owner) fs.chownSync(own, owner.uid, owner.gid);
  const secret = path.join(root, 'secret');
  fs.writeFileSync(secret, 'platform secret', { mode: 0o600 });
  return { root, own, secret, remove: () => fs.rmSync(root, { recursive: true, force: true }) };
}

function run(isolation: Isolation, confinement: Confinement, script: string, as?: { uid: number; gid: number }) {
  const cmd = confine(isolation, confinement, ['/bin/sh', '-c', script]);
  const result = spawnSync(cmd.file, cmd.args, { cwd: cmd.cwd, env: { PATH: '/usr/bin:/bin' }, encoding: 'utf8', ...(as ?? {}) });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

const uidOnly: Isolation = { mode: 'uid', setpriv: SETPRIV, summary: '' };
const uidBwrap: Isolation = { mode: 'uid', setpriv: SETPRIV, bwrap: BWRAP, summary: '' };
const bwrapOnly: Isolation = { mode: 'bwrap', bwrap: BWRAP, summary: '' };

test('the host has what the isolation tests need (root, setpriv, bubblewrap)', (t) => {
  t.is(process.getuid?.(), 0, 'these tests run as root (as CI does)');
  t.truthy(SETPRIV, 'setpriv (util-linux)');
  t.truthy(BWRAP, 'bubblewrap (npm test installs it as root)');
});

test('uid mode: the command runs as the app, without root\'s groups, and gains no privileges', (t) => {
  const w = world(APP);
  t.teardown(() => w.remove());
  const r = run(uidOnly, { user: APP, writable: [w.own], cwd: w.own }, `id -u; id -G; grep NoNewPrivs /proc/self/status; cat ${w.secret}; echo ok > ${w.own}/mine && cat ${w.own}/mine`);
  const [uid, groups] = r.out.split('\n');
  t.is(uid, String(APP.uid));
  t.is(groups, String(APP.gid), 'only its own group');
  t.regex(r.out, /NoNewPrivs:\s+1/);
  t.regex(r.err, /Permission denied/, 'the platform\'s 0600 file is closed to it');
  t.notRegex(r.out, /platform secret/);
  t.regex(r.out, /\nok\n?$/, 'its own folder is writable');
  t.is(fs.statSync(path.join(w.own, 'mine')).uid, APP.uid);
});

test('uid mode refuses to run without a user, or as root', (t) => {
  t.throws(() => confine(uidOnly, { writable: [], cwd: '/' }, ['true']), { message: /needs the app's uid/ });
  t.throws(() => confine(uidOnly, { user: { uid: 0, gid: 0 }, writable: [], cwd: '/' }, ['true']), { message: /as root/ });
});

test('uid mode with bubblewrap: only the system (read-only), the app\'s folders and a private /tmp are visible', (t) => {
  const w = world(APP);
  t.teardown(() => w.remove());
  const hostTmp = path.join(os.tmpdir(), `scalarium-confine-marker-${process.pid}`);
  fs.writeFileSync(hostTmp, 'x');
  t.teardown(() => fs.rmSync(hostTmp, { force: true }));
  const r = run(uidBwrap, { user: APP, writable: [w.own], cwd: w.own }, [
    'id -u', `ls ${w.root}`, `test -e ${w.secret} && echo SECRET-VISIBLE`, `test -e ${hostTmp} && echo HOST-TMP-VISIBLE`,
    'touch /usr/pwned 2>/dev/null && echo SYSTEM-WRITABLE', `echo ok > ${w.own}/mine && cat ${w.own}/mine`, 'ls /proc | grep -c "^[0-9]"',
  ].join('; '));
  t.regex(r.out, new RegExp(`^${APP.uid}\n`));
  t.notRegex(r.out, /SECRET-VISIBLE|HOST-TMP-VISIBLE|SYSTEM-WRITABLE/);
  t.regex(r.out, /^own$/m, 'the root shows only what was bound into it');
  t.regex(r.out, /\nok\n/);
  const processes = Number(r.out.trim().split('\n').at(-1));
  t.true(processes <= 5, `a pid namespace of its own (${processes} processes)`);
});

test('bubblewrap mode (server as an ordinary user): files of that same user outside the sandbox are invisible', (t) => {
  const serverUser = { uid: 200_901, gid: 200_901 };
  const w = world(serverUser);
  t.teardown(() => w.remove());
  fs.chownSync(w.secret, serverUser.uid, serverUser.gid);
  // The "server" itself can read its secret; the sandboxed app, same uid, cannot even see it.
  t.is(spawnSync('cat', [w.secret], { encoding: 'utf8', ...serverUser }).stdout, 'platform secret');
  const r = run(bwrapOnly, { writable: [w.own], cwd: w.own }, `id -u; cat ${w.secret}; echo ok > ${w.own}/mine && cat ${w.own}/mine`, serverUser);
  t.regex(r.out, new RegExp(`^${serverUser.uid}\n`));
  t.regex(r.err, /No such file or directory/);
  t.notRegex(r.out, /platform secret/);
  t.regex(r.out, /\nok\n?$/);
});

test('a data dir below a system directory is covered inside the sandbox', (t) => {
  // A non-root server whose data dir is /opt/…: its apps share its uid, so only the mount hides it.
  const serverUser = { uid: 200_902, gid: 200_902 };
  const dataDir = fs.mkdtempSync(path.join('/opt', 'scalarium-confine-'));
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  fs.chownSync(dataDir, serverUser.uid, serverUser.gid);
  fs.writeFileSync(path.join(dataDir, 'secret.key'), 'key', { mode: 0o600 });
  fs.chownSync(path.join(dataDir, 'secret.key'), serverUser.uid, serverUser.gid);
  const w = world(serverUser);
  t.teardown(() => w.remove());
  const bare = run(bwrapOnly, { writable: [w.own], cwd: w.own }, `cat ${dataDir}/secret.key`, serverUser);
  t.is(bare.out, 'key', 'without hidden, /opt shows through (this is why hidden exists)');
  const covered = run(bwrapOnly, { writable: [w.own], hidden: [dataDir], cwd: w.own }, `cat ${dataDir}/secret.key`, serverUser);
  t.is(covered.out, '');
  t.regex(covered.err, /No such file or directory/);

  // Apps inside that data dir: the app's own folder is bound into the cover, its neighbour is not.
  for (const app of ['own', 'other']) {
    fs.mkdirSync(path.join(dataDir, 'apps', app), { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(dataDir, 'apps', app, 'file'), app);
  }
  fs.chownSync(path.join(dataDir, 'apps'), serverUser.uid, serverUser.gid);
  for (const app of ['own', 'other']) fs.chownSync(path.join(dataDir, 'apps', app), serverUser.uid, serverUser.gid);
  const own = path.join(dataDir, 'apps', 'own');
  const inside = run(bwrapOnly, { writable: [own], hidden: [dataDir], cwd: own }, `cat ${own}/file; echo; cat ${dataDir}/apps/other/file; echo x > ${own}/new && echo wrote`, serverUser);
  t.regex(inside.out, /^own\n/);
  t.regex(inside.out, /wrote/);
  t.regex(inside.err, /apps\/other\/file: No such file or directory/);
});

test('refused mode starts nothing and says what to do', (t) => {
  const refused = detectIsolation({}, fakeHost({ isRoot: false }));
  t.is(refused.mode, 'refused');
  t.throws(() => confine(refused, { writable: [], cwd: '/' }, ['true']), { instanceOf: IsolationRefused, message: /Install bubblewrap.*SCALARIUM_INSECURE_SHARED_USER=1/ });
});

function fakeHost(options: { isRoot: boolean; bwrap?: boolean; bwrapWorks?: boolean; setpriv?: boolean }): HostProbe {
  return {
    isRoot: options.isRoot,
    which: (p) => (p === 'bwrap' && options.bwrap ? '/usr/bin/bwrap' : p === 'setpriv' && options.setpriv !== false ? '/usr/bin/setpriv' : undefined),
    bwrapWorks: () => options.bwrapWorks ?? true,
  };
}

test('detection: what each kind of host gets', (t) => {
  const mode = (env: NodeJS.ProcessEnv, host: Parameters<typeof fakeHost>[0]) => {
    const i = detectIsolation(env, fakeHost(host));
    return `${i.mode}${i.mode === 'uid' && i.bwrap ? '+bwrap' : ''}${i.warning ? ' (warning)' : ''}`;
  };
  t.is(mode({}, { isRoot: true, bwrap: true }), 'uid+bwrap');
  t.is(mode({}, { isRoot: true }), 'uid');
  t.is(mode({ SCALARIUM_SANDBOX: 'off' }, { isRoot: true, bwrap: true }), 'uid');
  t.is(mode({}, { isRoot: true, bwrap: true, bwrapWorks: false }), 'uid');
  t.is(mode({}, { isRoot: true, setpriv: false }), 'refused (warning)');
  t.is(mode({}, { isRoot: false, bwrap: true }), 'bwrap');
  t.is(mode({}, { isRoot: false, bwrap: true, bwrapWorks: false }), 'refused (warning)');
  t.is(mode({ SCALARIUM_INSECURE_SHARED_USER: '1' }, { isRoot: false }), 'shared (warning)');
  t.is(mode({ SCALARIUM_INSECURE_SHARED_USER: '1' }, { isRoot: true }), 'uid', 'the flag never weakens a host that can isolate');
  t.throws(() => detectIsolation({ SCALARIUM_SANDBOX: 'bwrap' }, fakeHost({ isRoot: true })), { message: /bwrap is not installed/ });
  t.throws(() => detectIsolation({ SCALARIUM_SANDBOX: 'maybe' }, fakeHost({ isRoot: true })), { message: /auto, bwrap or off/ });
});

test('the apps\' uid range must not overlap the host\'s accounts or subordinate id ranges', async (t) => {
  const { overlapsOnHost, parseUidRange } = await import('./identities.ts');
  const range = parseUidRange('700000000-700999999');
  t.deepEqual(overlapsOnHost(range, { passwd: 'root:x:0:0::/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\n', subuid: 'alice:100000:65536\n', subgid: '' }), []);
  t.deepEqual(overlapsOnHost(parseUidRange('100000-200000'), { passwd: 'svc:x:150000:150000::/:/bin/false\n', subuid: 'alice:165536:65536\n', subgid: 'alice:165536:65536\n' }), [
    'user svc (uid 150000)', '/etc/subuid range of alice (165536-231071)', '/etc/subgid range of alice (165536-231071)',
  ]);
  t.throws(() => parseUidRange('100-200'), { message: /between 1000/ });
  t.throws(() => parseUidRange('60000-70000'), { message: /65534/ });
});
