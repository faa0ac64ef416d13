// The running drains of this server, and which of them a log line goes to: the drains of its app,
// and those of its app's cluster. dispatch() is called inside hooks.log (a SyncHook, on the path of
// every line an app prints): it only splits the line once and appends it to each drain's buffer.
import {
  findApp, findClusterById, outboundPolicy, type LogLine, type Scalarium,
} from '../../server/plugin-api.ts';
import { DrainBuffer } from './buffer.ts';
import { parseDrainUrl } from './drain-url.ts';
import { messagesOf, type DrainMessage } from './message.ts';
import { DrainSender, type DrainStatus, type Drops } from './sender.ts';
import type { DrainSettings } from './settings.ts';
import type { DrainRow } from './store.ts';
import { HttpsTransport } from './transports/https.ts';
import { SyslogTransport } from './transports/syslog.ts';
import type { Transport } from './transports/transport.ts';

/** Lines of an app whose cluster is being looked up (once per app; it takes a query). */
const MAX_PENDING_LINES = 10_000;

interface Running { row: DrainRow; sender: DrainSender }

export class DrainDirectory {
  private readonly byApp = new Map<string, Map<string, Running>>();
  private readonly byCluster = new Map<string, Map<string, Running>>();
  /** App → its cluster's name; null for a name that is no app. */
  private readonly clusterOfApp = new Map<string, string | null>();
  private readonly pending = new Map<string, LogLine[]>();
  /**
   * While a drop is being logged: that line goes to the app's log and the server's, not to drains
   * (each drain gets its own notice in its stream), so one drain's drops never fill another's buffer.
   */
  private reporting = false;
  private readonly hostname: string;

  constructor(private readonly scalarium: Scalarium, private readonly settings: DrainSettings) {
    this.hostname = scalarium.config.serverId;
  }

  /** Sends a line to its app's and its cluster's drains. Never throws, never waits. */
  dispatch(line: LogLine): void {
    try {
      const appDrains = this.byApp.get(line.app);
      if (this.reporting || (!appDrains?.size && !this.byCluster.size)) return;
      let messages: DrainMessage[] | undefined;
      const split = () => (messages ??= messagesOf(line));
      for (const drain of appDrains?.values() ?? []) drain.sender.enqueue(split());
      if (!this.byCluster.size) return;
      const cluster = this.clusterOfApp.get(line.app);
      if (cluster === undefined) this.resolveCluster(line);
      else if (cluster) this.toCluster(cluster, split());
    } catch (error) {
      this.scalarium.say(`log-drains: a line of ${line.app} was not drained: ${(error as Error).message}`);
    }
  }

  start(row: DrainRow): void {
    const sender = new DrainSender(new DrainBuffer(this.settings.bufferMessages, this.settings.bufferBytes), this.transportOf(row), {
      backoffMaxMs: this.settings.backoffMaxMs,
      onDrops: (drops, status) => this.reportDrops(row, drops, status),
      notice: (drops) => notice(row, drops),
    });
    const index = row.owner.kind === 'app' ? this.byApp : this.byCluster;
    if (!index.has(row.owner.name)) index.set(row.owner.name, new Map());
    index.get(row.owner.name)!.set(row.token, { row, sender });
  }

  stop(row: Pick<DrainRow, 'owner' | 'token'>): void {
    const index = row.owner.kind === 'app' ? this.byApp : this.byCluster;
    const drains = index.get(row.owner.name);
    drains?.get(row.token)?.sender.stop();
    drains?.delete(row.token);
    if (drains && !drains.size) index.delete(row.owner.name);
  }

  status(row: Pick<DrainRow, 'owner' | 'token'>): DrainStatus | undefined {
    const index = row.owner.kind === 'app' ? this.byApp : this.byCluster;
    return index.get(row.owner.name)?.get(row.token)?.sender.status();
  }

  /** An app or cluster is gone: so are its drains (their rows went by cascade), and what is known of it. */
  forget(kind: 'app' | 'cluster', name: string): void {
    const index = kind === 'app' ? this.byApp : this.byCluster;
    for (const { row } of [...(index.get(name)?.values() ?? [])]) this.stop(row);
    if (kind === 'app') this.clusterOfApp.delete(name);
    else for (const [app, cluster] of this.clusterOfApp) if (cluster === name) this.clusterOfApp.delete(app);
  }

  close(): void {
    for (const index of [this.byApp, this.byCluster]) for (const drains of index.values()) for (const { sender } of drains.values()) sender.stop();
    this.byApp.clear();
    this.byCluster.clear();
  }

  private toCluster(cluster: string, messages: DrainMessage[]): void {
    for (const drain of this.byCluster.get(cluster)?.values() ?? []) drain.sender.enqueue(messages);
  }

  /** The first line of an app since start: its cluster is looked up once, its lines wait meanwhile. */
  private resolveCluster(line: LogLine): void {
    const waiting = this.pending.get(line.app);
    if (waiting) {
      if (waiting.length < MAX_PENDING_LINES) waiting.push(line);
      return;
    }
    this.pending.set(line.app, [line]);
    (async () => {
      const app = await findApp(this.scalarium.db, line.app);
      return app ? (await findClusterById(this.scalarium.db, app.cluster_id))?.name ?? null : null;
    })().then((cluster) => {
      this.clusterOfApp.set(line.app, cluster);
      const lines = this.pending.get(line.app) ?? [];
      this.pending.delete(line.app);
      if (cluster) for (const each of lines) this.toCluster(cluster, messagesOf(each));
    }, (error: Error) => {
      this.pending.delete(line.app);
      this.scalarium.say(`log-drains: cannot find the cluster of ${line.app}: ${error.message}`);
    });
  }

  private transportOf(row: DrainRow): Transport {
    const target = parseDrainUrl(row.url, row.kind === 'https' ? row.format : undefined);
    const common = { hostname: this.hostname, timeoutMs: this.settings.timeoutMs, ca: this.settings.ca, policy: () => outboundPolicy(this.scalarium) };
    return row.kind === 'https' ? new HttpsTransport(target, { ...common, token: row.token }) : new SyslogTransport(target, common);
  }

  /** A log line for people: the server's log, and the app's own log. */
  private reportDrops(row: DrainRow, drops: Drops, status: DrainStatus): void {
    const why = status.lastError ? `last error: ${status.lastError.message}` : 'it takes lines more slowly than they come';
    const text = `log drain ${row.token} (${row.shownUrl}) dropped ${drops.count} messages since ${drops.since}: its buffer was full (${why})`;
    this.scalarium.say(`log-drains: ${row.owner.kind} ${row.owner.name}: ${text}`);
    if (row.owner.kind !== 'app') return;
    this.reporting = true;
    try {
      this.scalarium.hooks.log.call({ app: row.owner.name, source: 'scalarium', line: text, at: new Date().toISOString() });
    } catch {
      // another plugin's tap failed: the server log has the line
    } finally {
      this.reporting = false;
    }
  }
}

/** What a drain gets in its own stream before its next messages after drops (Heroku's L10). */
function notice(row: DrainRow, drops: Drops): DrainMessage {
  const text = `Error L10 (output buffer overflow): ${drops.count} messages dropped since ${drops.since}.`;
  return { app: row.owner.kind === 'app' ? row.owner.name : 'scalarium', source: 'scalarium', at: new Date().toISOString(), text, bytes: Buffer.byteLength(text) };
}
