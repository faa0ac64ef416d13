// scalarium-server: `start` (the default) runs the control plane with the plugins the entry point
// hands in (bin/scalarium-server.js: plugins/builtin.ts); plugins add commands of their own.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { loadConfig, type ServerConfig } from './core/config.ts';
import { recoverJournal } from './deploy/recovery.ts';
import { openDatabase } from './db/knex.ts';
import { attachSecrets } from './db/sealed.ts';
import { loadSecretBox } from './core/secrets.ts';
import { rotateKey, sealPlaintextSecrets } from './core/rotate-key.ts';
import { AgentHub } from './agent/hub.ts';
import { AGENT_PATH } from './agent/protocol.ts';
import { Scalarium, type Plugin } from './core/scalarium.ts';
import { loadPlugins, PluginLoadError, userPluginSpecifiers } from './core/plugins.ts';
import { bootstrapAdmin } from './core/bootstrap.ts';
import { createInvite, isWellFormedToken, newToken } from './db/identity.ts';
import { confirmNextToken, instanceByToken, offerNextToken } from './db/instances.ts';
import { releaseStale } from './db/locks.ts';
import { failInterruptedDeployments } from './db/deployments.ts';
import { failUnfinishedBuilds } from './db/builds.ts';
import { createHttpApp } from './http/app.ts';
import { PushSessions } from './git/push-sessions.ts';
import { repoStore } from './core/paths.ts';
import { syncInstances } from './agent/instance-sync.ts';
import { relayMetrics } from './agent/metrics-relay.ts';
import { reconcileAll, reconcileApp } from './core/reconciler.ts';
import { ensureCluster, findCluster, findInstance, listClusters } from './db/instances.ts';
import { routerPort } from './http/api/present.ts';
import { reconcileCluster, stopClusterReconciles } from './core/cluster-service.ts';
import { setupInstance } from './core/lifecycle.ts';
import { listApps } from './db/apps.ts';
import { prepareIsolation } from './sandbox/prepare.ts';

const CLUSTER_RECONCILE_MS = Number(process.env.SCALARIUM_RECONCILE_INTERVAL ?? 15) * 1000;

export interface RunningServer {
  scalarium: Scalarium;
  url: string;
  close(): Promise<void>;
}

export async function startServer(config: ServerConfig, plugins: Plugin[], log: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<RunningServer> {
  // Everything the server writes is its own unless it says otherwise (database, slugs, logs, repos).
  process.umask(0o077);
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  fs.chmodSync(config.dataDir, 0o700);
  for (const file of ['scalarium.sqlite', 'scalarium.sqlite-wal', 'scalarium.sqlite-shm']) {
    if (fs.existsSync(path.join(config.dataDir, file))) fs.chmodSync(path.join(config.dataDir, file), 0o600);
  }
  const db = await openDatabase(config.dataDir);
  const secrets = loadSecretBox(config.dataDir);
  attachSecrets(db, secrets);
  await sealPlaintextSecrets(db, secrets);
  const bootId = crypto.randomBytes(4).toString('hex');
  const owner = `${config.serverId}:${bootId}`;
  const hub = new AgentHub(async (id, token) => {
    const instance = await instanceByToken(db, id, token);
    return instance ? (instance.role === 'router' ? 'router' : 'agent') : undefined;
  }, config.serverId, {
    async offer(id) {
      const token = newToken();
      await offerNextToken(db, id, token);
      return token;
    },
    confirm: (id, token) => confirmNextToken(db, id, token),
  });
  hub.metricsIntervalMs = config.metricsIntervalMs;
  const scalarium = new Scalarium(config, db, hub, owner);
  scalarium.cookieKeys = secrets.derivedKeys('ui cookies');
  scalarium.say = log;
  for (const line of await prepareIsolation(scalarium)) log(line);
  await loadPlugins(scalarium, plugins, userPluginSpecifiers(config.dataDir, config.pluginSpecifiers));

  // Leftovers of this server's previous life (kill -9, power loss) are settled before anything new.
  await releaseStale(db, config.serverId, bootId);
  await failInterruptedDeployments(db, `${config.serverId}:`, owner);
  await failUnfinishedBuilds(db);
  for (const line of await recoverJournal(scalarium)) log(`recovery: ${line}`);
  const initialAdmin = await bootstrapAdmin(db, config.dataDir, config.adminToken);

  const sessions = new PushSessions();
  const app = createHttpApp(scalarium, sessions);
  const server = http.createServer({ maxHeaderSize: 16 * 1024 }, app.callback());
  server.on('upgrade', (req, socket, head) => {
    if (new URL(req.url ?? '/', 'http://x').pathname === AGENT_PATH) hub.handleUpgrade(req, socket, head);
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  scalarium.baseUrl = `http://${host}:${port}`;
  log(`scalarium-server listening on ${scalarium.baseUrl}`);

  await repoStore(scalarium).installAllHooks();
  relayMetrics(scalarium);
  const sync = syncInstances(scalarium, (peer, firstTime) => {
    log(`instance ${peer.instanceId} connected${firstTime ? ' for the first time' : ''}`);
    void (async () => {
      // A new instance is set up, then configured and deployed onto; one that came back converges its apps.
      const instance = await findInstance(db, peer.instanceId);
      if (firstTime && instance) await setupInstance(scalarium, instance);
      else for (const appRow of (await listApps(db)).filter((a) => a.cluster_id === instance?.clusterId)) await reconcileApp(scalarium, appRow).catch(() => {});
    })().catch((error: Error) => log(`instance ${peer.instanceId}: ${error.message}`));
  });

  // The default cluster (provider-local's "local") is ready before the server says so; other
  // clusters converge in the background.
  if (scalarium.defaultCluster) {
    const cluster = await ensureCluster(db, scalarium.defaultCluster.name, scalarium.defaultCluster.provider);
    await scalarium.provider(cluster.provider).ensureInstances(cluster);
  }
  const reconcileClusters = async () => {
    for (const other of await listClusters(db)) {
      if (scalarium.providers.has(other.provider)) await reconcileCluster(scalarium, other);
      else log(`cluster ${other.name}: no provider "${other.provider}" is loaded`);
    }
  };
  void reconcileClusters();
  // Desired against actual, again and again: dead agents are restarted, lost instances replaced, and
  // apps converge whose reconcile was skipped (it found the app busy, or its instance not back yet).
  let stopping = false;
  let pass: Promise<void> | undefined;
  const loop = setInterval(() => {
    pass ??= (async () => {
      await reconcileClusters().catch(() => {});
      if (!stopping) await reconcileAll(scalarium);
    })().finally(() => (pass = undefined));
  }, CLUSTER_RECONCILE_MS);
  loop.unref();
  scalarium.onClose(async () => {
    stopping = true;
    clearInterval(loop);
    await stopClusterReconciles(scalarium);
    await pass;
  });
  // The default cluster's router: other local clusters' routers have ports of their own.
  const shownPort = await routerPort(scalarium, scalarium.defaultCluster && (await findCluster(db, scalarium.defaultCluster.name))?.id);
  log(`router listening on http://${config.routerHost}:${shownPort} (apps at http://<app>.${config.domain}:${shownPort}/)`);
  await reconcileAll(scalarium);

  if (initialAdmin) {
    // No default password anywhere: the admin chooses one through a one-time link.
    const invite = await createInvite(db, initialAdmin.userId, 7 * 86_400_000);
    log('');
    // The file's absolute path: `scalarium login` runs in the app's directory, not in this one.
    const tokenFile = path.join(config.dataDir, 'initial-admin-token');
    log(`First start: created the admin user. Its API token (also in ${tokenFile}, mode 0600):`);
    log(`  ${initialAdmin.token}`);
    const quoted = /^[\w@%+=:,./-]+$/.test(tokenFile) ? tokenFile : `'${tokenFile.replace(/'/g, `'\\''`)}'`;
    log(`Log in:  scalarium login --server ${scalarium.baseUrl} --token "$(cat ${quoted})"`);
    log('         (`npm link` in this clone puts the scalarium command on your PATH: docs/cli.md, "Install")');
    log(`Web UI:  choose the admin password at ${scalarium.baseUrl}/invite/${invite} (valid 7 days, once),`);
    log(`         or log in at ${scalarium.baseUrl}/login with the API token.`);
    log('');
  }
  log('ready');

  return {
    scalarium,
    url: scalarium.baseUrl,
    async close() {
      server.closeAllConnections();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Background work (cluster runs, plugins) ends first, while agents can still answer…
      await scalarium.close();
      // …then the agents go; their disconnect handlers write to the database, so stop listening first.
      hub.removeAllListeners();
      hub.close();
      await closed;
      await sync.settled();
      await db.destroy();
    },
  };
}

export async function main(argv: string[], plugins: Plugin[]): Promise<number> {
  const command = argv[0] ?? 'start';
  if (command === 'new-token') {
    process.stdout.write(`${newToken()}\n`);
    return 0;
  }
  let config: ServerConfig;
  try {
    config = loadConfig();
    if (config.adminToken && !isWellFormedToken(config.adminToken)) {
      throw new Error('SCALARIUM_ADMIN_TOKEN is not a Scalarium token (scl_… with a checksum); make one with `npx scalarium-server new-token`');
    }
  } catch (error) {
    process.stderr.write(`scalarium-server: ${(error as Error).message}\n`);
    return 2;
  }
  // Read once; nothing started later (git, agents, builds) may inherit the admin's credential.
  delete process.env.SCALARIUM_ADMIN_TOKEN;
  if (command === 'start') {
    let running: RunningServer;
    try {
      running = await startServer(config, plugins);
    } catch (error) {
      if (error instanceof PluginLoadError) process.stderr.write(`scalarium-server: ${error.message}\n`);
      else process.stderr.write(`scalarium-server: could not start: ${(error as Error).stack ?? error}\n`);
      return 1;
    }
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', resolve);
      process.once('SIGINT', resolve);
    });
    process.stdout.write('stopping (apps and the router keep running; `scalarium-server stop-instances` stops them)\n');
    await running.close();
    return 0;
  }
  if (command === 'rotate-key') {
    const db = await openDatabase(config.dataDir);
    try {
      process.stdout.write(`${await rotateKey(db, config.dataDir, process.env)}\n`);
      return 0;
    } catch (error) {
      process.stderr.write(`scalarium-server rotate-key: ${(error as Error).message}\n`);
      return 1;
    } finally {
      await db.destroy();
    }
  }
  const commands = plugins.flatMap((p) => p.commands ?? []);
  const pluginCommand = commands.find((c) => c.name === command);
  if (pluginCommand) return pluginCommand.run(config, argv.slice(1));
  const usage = commands.map((c) => `  ${c.name.padEnd(15)} ${c.summary}\n`).join('');
  process.stdout.write(
    `usage: scalarium-server [start | rotate-key | new-token${commands.map((c) => ` | ${c.name}`).join('')}]\n\n` +
    '  start           run the server (default); env SCALARIUM_DATA_DIR, SCALARIUM_PORT, SCALARIUM_ROUTER_PORT, …\n' +
    '  rotate-key      re-encrypt stored secrets with a new key (stop the server first)\n' +
    '  new-token       print a new API token, e.g. for SCALARIUM_ADMIN_TOKEN\n' + usage,
  );
  return command === 'help' || command === '--help' ? 0 : 2;
}
