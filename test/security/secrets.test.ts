// Secrets at rest and in motion: config vars (and the release snapshots that carry them) are sealed
// with AES-256-GCM, so their plaintext must appear nowhere the server writes — database, WAL, logs,
// build logs, instance output, the router's table, the audit log, the server's own output — and no
// API answer but GET config (for those allowed) may carry them. secret.key stays 0600 and out of
// the database, and `scalarium-server rotate-key` re-encrypts everything under a new key.
import test from 'ava';
import crypto from 'node:crypto';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import knexFactory from 'knex';
import { startTestServer, ROOT, type TestServer } from '../helpers/server.ts';
import { authedGitUrl, createAppRepo, type AppRepo } from '../helpers/app-repo.ts';
import { getViaRouter } from '../helpers/router-client.ts';
import { openDatabase } from '../../server/db/knex.ts';
import { createToken, findUserByName } from '../../server/db/identity.ts';
import { keyId, parseKey } from '../../server/core/secrets.ts';

const APP = 'vault';
const HOST = `${APP}.localhost`;
const CLUSTER = 'creds';
const sentinel = (label: string) => `SENTINEL_${crypto.randomBytes(12).toString('hex')}_${label}`;
const S = {
  password1: sentinel('PW1'), password2: sentinel('PW2'), apiToken: sentinel('TOKEN'), removed: sentinel('REMOVED'),
  inUrl: sentinel('URL'), awsSecret: sentinel('AWS'),
};
const ALL = Object.values(S);

let server: TestServer;
let repo: AppRepo;
let viewerToken = '';

/** Every file under dir. */
function filesUnder(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) filesUnder(full, out);
    else if (e.isFile()) out.push(full);
  }
  return out;
}

/** Where any needle occurs in any file under the data dir or the apps dir (gzip files are searched unpacked too). */
function search(needles: Array<string | Buffer>, options: { except?: string[] } = {}): string[] {
  const hits: string[] = [];
  const files = [...filesUnder(server.dataDir), ...filesUnder(server.appsDir)].filter((f) => !(options.except ?? []).includes(f));
  for (const file of files) {
    let content: Buffer;
    try {
      content = fs.readFileSync(file);
    } catch {
      continue; // gone between listing and reading (a temp file)
    }
    const views = [content];
    if (content[0] === 0x1f && content[1] === 0x8b) {
      try {
        views.push(zlib.gunzipSync(content));
      } catch {
        // not really gzip
      }
    }
    for (const needle of needles) {
      if (views.some((v) => v.includes(needle))) hits.push(`${path.relative(server.dataDir, file)}: ${String(needle).slice(0, 40)}`);
    }
  }
  return hits;
}

interface Sealed { configVars: Record<string, string>; releases: Record<string, string>; clusterSettings: Record<string, string> }

/** The stored ciphertexts, read straight from the database file (server stopped). */
async function readSealed(): Promise<Sealed> {
  const db = knexFactory({ client: 'sqlite3', connection: { filename: path.join(server.dataDir, 'scalarium.sqlite') }, useNullAsDefault: true });
  try {
    const configVars = Object.fromEntries((await db('config_vars').select('app_id', 'key', 'value')).map((r) => [`${r.app_id}:${r.key}`, String(r.value)]));
    const releases = Object.fromEntries((await db('releases').select('app_id', 'version', 'config')).map((r) => [`${r.app_id}:v${r.version}`, String(r.config)]));
    const clusterSettings = Object.fromEntries((await db('clusters').select('name', 'settings')).map((r) => [r.name, String(r.settings)]));
    return { configVars, releases, clusterSettings };
  } finally {
    await db.destroy();
  }
}

function serverCommand(command: string, env: Record<string, string | undefined>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'scalarium-server.js'), command], {
      env: { ...process.env, SCALARIUM_SECRET_KEY: '', SCALARIUM_NEW_SECRET_KEY: '', SCALARIUM_DATA_DIR: server.dataDir, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

const keyFile = () => path.join(server.dataDir, 'secret.key');

async function expectOk<T = any>(method: string, url: string, body?: unknown, status = 200): Promise<T> {
  const res = await server.api(method, url, body);
  if (res.status !== status) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
  return res.body as T;
}

test.before(async () => {
  server = await startTestServer({ env: { SCALARIUM_SECRET_KEY: '', SCALARIUM_NEW_SECRET_KEY: '' } });
  repo = await createAppRepo('node-hello');
  await expectOk('POST', '/api/apps', { name: APP }, 201);
  // Stored before the first deploy, so they go into the build's ENV_DIR and release v1.
  await expectOk('PATCH', `/api/apps/${APP}/config`, {
    DATABASE_PASSWORD: S.password1, API_TOKEN: S.apiToken, OLD_SECRET: S.removed, DATABASE_URL: `postgres://app:${S.inUrl}@db.internal:5432/app`,
  });
  const push = await repo.push(authedGitUrl(server.url, APP, server.token));
  if (push.code !== 0) throw new Error(push.output);
  // v2: one changed, one removed; v3: back to v1's values.
  await expectOk('PATCH', `/api/apps/${APP}/config`, { DATABASE_PASSWORD: S.password2, OLD_SECRET: null });
  await expectOk('POST', `/api/apps/${APP}/rollback`, { version: 1 }, 201);
  // Provider credentials are secrets too.
  await expectOk('POST', '/api/clusters', {
    name: CLUSTER, provider: 'local', roles: { app: 0, router: 0 },
    settings: { credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: S.awsSecret } },
  }, 201);
  // Someone who may look at the app but not at its config.
  await expectOk('POST', '/api/users', { name: 'peeker' }, 201);
  await expectOk('POST', '/api/access', { user: 'peeker', app: APP, role: 'viewer' }, 201);
});

test.after.always(async () => {
  await server?.cleanup();
  repo?.cleanup();
});

const V1 = () => ({ DATABASE_PASSWORD: S.password1, API_TOKEN: S.apiToken, OLD_SECRET: S.removed, DATABASE_URL: `postgres://app:${S.inUrl}@db.internal:5432/app` });

test.serial('the app runs with its config; only GET config shows the values', async (t) => {
  t.is((await getViaRouter(server.routerPort, HOST)).body, 'hello from v1');
  t.deepEqual(await expectOk('GET', `/api/apps/${APP}/config`), V1());
  const releases = await expectOk<Array<{ version: number; description: string }>>('GET', `/api/apps/${APP}/releases`);
  t.deepEqual(releases.map((r) => r.version), [3, 2, 1]);
  const builds = await expectOk<Array<{ id: number }>>('GET', `/api/apps/${APP}/builds`);
  const answers = [
    await server.api('GET', `/api/apps/${APP}`), await server.api('GET', `/api/apps/${APP}/releases`),
    ...await Promise.all([1, 2, 3].map((v) => server.api('GET', `/api/apps/${APP}/releases/v${v}`))),
    await server.api('GET', `/api/apps/${APP}/ps`), await server.api('GET', `/api/apps/${APP}/deployments`),
    await server.api('GET', `/api/apps/${APP}/builds`), await server.api('GET', `/api/apps/${APP}/builds/${builds[0]!.id}/log`),
    await server.api('GET', `/api/apps/${APP}/logs?lines=1500`), await server.api('GET', '/api/audit?limit=5000'),
    await server.api('GET', '/api/status'), await server.api('GET', '/api/clusters'), await server.api('GET', `/api/clusters/${CLUSTER}`),
    await server.api('GET', `/api/clusters/local/events`), await server.api('GET', '/api/hooks/timings'),
  ];
  for (const res of answers) t.is(res.status, 200);
  const text = JSON.stringify(answers.map((a) => a.body));
  t.deepEqual(ALL.filter((s) => text.includes(s)), [], 'no API answer but GET config carries a value');
  t.is((await server.api('GET', `/api/clusters/${CLUSTER}`)).body.settings.credentials, 'stored (encrypted)');
});

test.serial('no plaintext while running: database, WAL, logs, build logs, instance output, router table', async (t) => {
  const files = filesUnder(server.dataDir).map((f) => path.relative(server.dataDir, f));
  // The places that would leak first must exist, or this search proves nothing.
  for (const expected of [/^scalarium\.sqlite$/, /^scalarium\.sqlite-wal$/, /^logs\/vault\.log$/, /^builds\/\d+\.log$/, /^instances\/[^/]+\/output\.log$/, /routes\.json$/]) {
    t.true(files.some((f) => expected.test(f)), `${expected} exists (${files.length} files)`);
  }
  // Controls: the search does find what is stored in plaintext — config keys in the database,
  // the app's code inside its (gzipped) slug.
  t.true(search(['DATABASE_PASSWORD']).some((h) => h.startsWith('scalarium.sqlite')), 'config keys are found in the database');
  t.true(search(['hello from v1']).some((h) => h.startsWith('slugs/')), 'text inside slugs is found');
  t.deepEqual(search(ALL), []);
});

test.serial('secret.key: present, 0600, and neither it nor its bytes are anywhere else', async (t) => {
  const stat = fs.statSync(keyFile());
  t.is(stat.mode & 0o777, 0o600);
  const text = fs.readFileSync(keyFile(), 'utf8').trim();
  const bytes = parseKey(text, 'secret.key');
  t.deepEqual(search([text, bytes, bytes.toString('hex')], { except: [keyFile()] }), []);
  t.false(server.output().includes(text), 'the server never prints its key');
});

test.serial('stopped (WAL checkpointed): still no plaintext, every stored secret is sealed with the current key', async (t) => {
  await server.stop();
  t.deepEqual(search(ALL), []);
  const sealed = await readSealed();
  const id = keyId(parseKey(fs.readFileSync(keyFile(), 'utf8'), 'secret.key'));
  const values = [...Object.values(sealed.configVars), ...Object.values(sealed.releases)];
  t.is(values.length, 4 + 3);
  for (const value of values) t.true(value.startsWith(`enc:v1:${id}:`), value.slice(0, 30));
  t.regex(sealed.clusterSettings[CLUSTER]!, new RegExp(`"sealedCredentials":"enc:v1:${id}:`));
  t.deepEqual(ALL.filter((s) => server.output().includes(s)), [], 'the server output carries no value');

  // A token for the viewer, made with the module the API uses, while the server is stopped (a
  // subprocess server cannot hand one out: users without a password never log in).
  const db = await openDatabase(server.dataDir);
  try {
    viewerToken = await createToken(db, (await findUserByName(db, 'peeker'))!.id, { name: 'peek' });
  } finally {
    await db.destroy();
  }
});

test.serial('rotate-key with the key in SCALARIUM_SECRET_KEY but no new key: a clear refusal, nothing changed', async (t) => {
  const before = await readSealed();
  const keyBefore = fs.readFileSync(keyFile(), 'utf8');
  const res = await serverCommand('rotate-key', { SCALARIUM_SECRET_KEY: keyBefore.trim() });
  t.is(res.code, 1, res.stdout + res.stderr);
  t.regex(res.stderr, /rotate-key: .*SCALARIUM_SECRET_KEY.*set SCALARIUM_NEW_SECRET_KEY/);
  t.deepEqual(await readSealed(), before);
  t.is(fs.readFileSync(keyFile(), 'utf8'), keyBefore);
  t.false(fs.existsSync(`${keyFile()}.next`));
});

test.serial('rotate-key re-encrypts every secret with a new key; the server restarts and reads them all', async (t) => {
  const before = await readSealed();
  const oldText = fs.readFileSync(keyFile(), 'utf8').trim();
  const res = await serverCommand('rotate-key', {});
  t.is(res.code, 0, res.stdout + res.stderr);
  t.regex(res.stdout, /re-encrypted \d+ value\(s\) with a new key/);
  const newText = fs.readFileSync(keyFile(), 'utf8').trim();
  t.not(newText, oldText);
  t.is(fs.statSync(keyFile()).mode & 0o777, 0o600);
  t.false(fs.existsSync(`${keyFile()}.next`), 'the new key replaced the old one');
  const after = await readSealed();
  const newId = keyId(parseKey(newText, 'secret.key'));
  for (const group of ['configVars', 'releases'] as const) {
    t.deepEqual(Object.keys(after[group]).sort(), Object.keys(before[group]).sort());
    for (const [k, value] of Object.entries(after[group])) {
      t.not(value, before[group][k], `${group} ${k} has a new ciphertext`);
      t.true(value.startsWith(`enc:v1:${newId}:`), `${group} ${k} is sealed with the new key`);
    }
  }
  t.deepEqual(search([...ALL, oldText, newText], { except: [keyFile()] }), []);

  await server.restart();
  t.deepEqual(await expectOk('GET', `/api/apps/${APP}/config`), V1(), 'config vars read back');
  t.is((await getViaRouter(server.routerPort, HOST)).body, 'hello from v1', 'the app kept serving');
  // Release snapshots decrypt too: rolling back to v2 restores v2's config.
  const rolled = await expectOk('POST', `/api/apps/${APP}/rollback`, { version: 2 }, 201);
  t.is(rolled.version, 4);
  const { OLD_SECRET: _removed, ...v2 } = { ...V1(), DATABASE_PASSWORD: S.password2 };
  t.deepEqual(await expectOk('GET', `/api/apps/${APP}/config`), v2);
});

test.serial('a viewer sees the app but not its config', async (t) => {
  const as = (url: string) => server.api('GET', url, undefined, viewerToken);
  const config = await as(`/api/apps/${APP}/config`);
  t.is(config.status, 403);
  t.is(config.body.error.code, 'forbidden');
  const readable = [
    await as(`/api/apps/${APP}`), await as(`/api/apps/${APP}/releases`), await as(`/api/apps/${APP}/releases/v1`), await as(`/api/apps/${APP}/deployments`),
    await as(`/api/apps/${APP}/builds`), await as(`/api/apps/${APP}/logs`),
  ];
  for (const res of readable) t.is(res.status, 200);
  // A viewer reads the logs: what the platform writes there (config changes, releases) names no value.
  const text = JSON.stringify(readable.map((r) => r.body));
  t.deepEqual(ALL.filter((s) => text.includes(s)), []);
});

test.serial('in the end, still nowhere: data dir and everything the server printed', async (t) => {
  t.deepEqual(search(ALL), []);
  t.deepEqual(ALL.filter((s) => server.output().includes(s)), []);
});

// Was a known bug (fixed): rotate-key (server/core/rotate-key.ts) re-seals config vars and release
// snapshots only. Cluster credentials (clusters.settings.sealedCredentials, server/db/clusters.ts)
// stay sealed with the old key, which rotate-key then deletes: they can never be read again.
test.serial('cluster credentials survive rotate-key', async (t) => {
  const res = await server.api('GET', `/api/clusters/${CLUSTER}`);
  t.is(res.status, 200, JSON.stringify(res.body));
  t.is(res.body?.settings?.credentials, 'stored (encrypted)');
  t.is((await server.api('GET', '/api/clusters')).status, 200, 'and the cluster list still answers');
});
