// Runs and watches the app processes of one instance: start with PORT set, wait for readiness,
// probe web processes for liveness, restart crashes (and processes that stopped answering) with
// backoff, stop with SIGTERM then SIGKILL. Each process gets its own process group so that signals
// reach the whole tree the Procfile command starts.
import { spawn, type ChildProcess } from 'node:child_process';
import type { ProcessReport, ProcessSpec, ProcessState } from './protocol.ts';
import { waitReady } from './readiness.ts';
import { watchLiveness, type LivenessWatch } from './liveness.ts';
import { OutputLines } from './log-text.ts';
import { foreignListener } from './port-owner.ts';
import { parsePortRange, pickFreePort, type PortRange } from '../net/port-range.ts';
import { confine, type UnixUser } from '../sandbox/confine.ts';
import type { Isolation } from '../sandbox/isolation.ts';
import type { ReleaseDir } from './app-dirs.ts';
import { ResourceGroup, type CgroupHost } from '../sandbox/cgroups.ts';
import { formatBytes, type ResourceLimits } from '../sandbox/limits.ts';
import type { LoopbackGuard } from '../net/loopback-guard.ts';
import { startTimeOf, type ProcessRecord } from './process-records.ts';
import { crashBackoffMs, nextStreak } from './crash-backoff.ts';

/** Non-web processes count as ready once they stay up this long. */
const SETTLE_MS = 1000;
/** Between SIGTERM and SIGKILL for a process that failed its liveness check: it is out of the router already. */
const UNHEALTHY_GRACE_MS = 5000;

interface Supervised {
  spec: ProcessSpec;
  dir: string;
  tmp: string;
  port: number;
  child?: ChildProcess;
  /** The child's start time (/proc/<pid>/stat field 22), recorded with its pid. */
  childStartTime?: number;
  state: ProcessState;
  restarts: number;
  /** Crashes in a row (crash-backoff.ts), and when it last became ready (ms). */
  crashStreak: number;
  readySince?: number;
  startedAt?: string;
  reason?: string;
  stopping: boolean;
  restartTimer?: NodeJS.Timeout;
  /** Probing the running child (web processes, once ready). */
  liveness?: LivenessWatch;
  /** Why the running child is being killed, when the supervisor kills it to restart it. */
  killedFor?: string;
  recentOutput: string[];
  group?: ResourceGroup;
}

export interface SupervisorEvents {
  report(report: ProcessReport): void;
  log(app: string, source: string, line: string): void;
  changed(): void;
}

/** What every app process may see besides its own directories, and what it must never see. */
export interface SandboxPolicy {
  isolation: Isolation;
  /** Files shared with every app of the instance, read-only (cluster.json). */
  readable: string[];
  /** Platform directories to keep covered even below a system directory (the agent's, the data dir). */
  hidden: string[];
  /** Each process's resource group, where the host has cgroups: `prefix` keeps agents of one host apart. */
  limits?: { host: CgroupHost; app: ResourceLimits; prefix: string };
  /** Lets each process's uid (and no other app's) reach its port on loopback. */
  loopback?: LoopbackGuard;
}

export class Supervisor {
  private readonly processes = new Map<string, Supervised>();

  constructor(
    private readonly events: SupervisorEvents,
    private readonly baseEnv: Record<string, string>,
    private readonly sandbox: SandboxPolicy,
    private readonly ports: PortRange = parsePortRange(),
  ) {}

  reports(): ProcessReport[] {
    return [...this.processes.values()].map(toReport);
  }

  /** The release directory of each app this instance runs (for the app's lifecycle hooks). */
  appDirs(): Map<string, { dir: string; tmp: string; user?: UnixUser }> {
    const dirs = new Map<string, { dir: string; tmp: string; user?: UnixUser }>();
    for (const p of this.processes.values()) if (p.state !== 'stopped') dirs.set(p.spec.app, { dir: p.dir, tmp: p.tmp, user: p.spec.user });
    return dirs;
  }

  /** app → slugs that processes here run (or are starting): what pruning must keep. */
  slugsInUse(): Map<string, Set<string>> {
    const used = new Map<string, Set<string>>();
    for (const p of this.processes.values()) {
      if (!used.has(p.spec.app)) used.set(p.spec.app, new Set());
      used.get(p.spec.app)!.add(p.spec.slug.sha256);
    }
    return used;
  }

  /** Ports given to processes here, bound yet or not. */
  private portsInUse(): Set<number> {
    return new Set([...this.processes.values()].map((p) => p.port));
  }

  /** The live process groups, for the agent's records (process-records.ts). */
  records(): ProcessRecord[] {
    return [...this.processes.values()].flatMap((p) => (p.child?.pid && p.childStartTime !== undefined
      ? [{ id: p.spec.id, app: p.spec.app, pid: p.child.pid, startTime: p.childStartTime }] : []));
  }

  /** Starts the process and resolves once it is ready; rejects (and cleans up) if it never is. */
  async start(spec: ProcessSpec, release: ReleaseDir): Promise<ProcessReport> {
    const existing = this.processes.get(spec.id);
    if (existing && existing.state === 'ready') return toReport(existing);
    if (existing) throw new Error(`process ${spec.id} is already starting`);
    const entry: Supervised = {
      spec, dir: release.dir, tmp: release.tmp, port: await pickFreePort(this.ports, this.portsInUse()), state: 'starting', restarts: 0, crashStreak: 0, stopping: false, recentOutput: [],
    };
    this.processes.set(spec.id, entry);
    if (spec.user) await this.sandbox.loopback?.allow(entry.port, spec.user.uid);
    const ok = await this.launch(entry);
    if (!ok) {
      const reason = entry.reason ?? 'did not become ready';
      await this.stopOne(entry, 2000);
      this.processes.delete(spec.id);
      this.events.changed();
      throw new Error(reason);
    }
    return toReport(entry);
  }

  async stop(ids: string[], graceMs: number): Promise<void> {
    await Promise.all(ids.map(async (id) => {
      const entry = this.processes.get(id);
      if (!entry) return;
      await this.stopOne(entry, graceMs);
      this.processes.delete(id);
    }));
    this.events.changed();
  }

  async stopAll(graceMs: number): Promise<void> {
    await this.stop([...this.processes.keys()], graceMs);
  }

  /** Spawns the child and waits for readiness; true when ready. */
  private async launch(entry: Supervised): Promise<boolean> {
    const { spec } = entry;
    const source = spec.env.DYNO ?? spec.type;
    entry.state = 'starting';
    entry.reason = undefined;
    const sandboxed = Boolean(this.sandbox.isolation.bwrap);
    // The whole environment: the base (PATH, LANG, cluster.json), the release's config and names,
    // PORT, HOME and TMPDIR — nothing inherited from the agent (its token, the server's variables).
    const env: Record<string, string> = {
      ...this.baseEnv, ...spec.env, PORT: String(entry.port), HOME: entry.dir, TMPDIR: sandboxed ? '/tmp' : entry.tmp,
    };
    env.PATH = `${entry.dir}/node_modules/.bin:${env.PATH ?? '/usr/local/bin:/usr/bin:/bin'}`;
    // The Procfile command is the app's own shell command line, run in the app's directory as
    // Heroku does, confined to the app's identity; nothing of the server's is interpolated into it.
    let command: ReturnType<typeof confine>;
    try {
      const group = await this.openGroup(entry);
      command = confine(this.sandbox.isolation, {
        user: spec.user, writable: [entry.dir, entry.tmp], readable: this.sandbox.readable, hidden: this.sandbox.hidden, cwd: entry.dir,
        ...(group ? { cgroupProcs: group.procsFiles } : {}),
      }, ['/bin/sh', '-c', spec.command]);
    } catch (error) {
      entry.state = 'failed';
      entry.reason = (error as Error).message;
      this.report(entry);
      return false;
    }
    const child = spawn(command.file, command.args, { cwd: command.cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    entry.child = child;
    // Read at once: the child may not have exec'd the command yet, but its pid and start time are final.
    entry.childStartTime = child.pid ? startTimeOf(child.pid) : undefined;
    entry.startedAt = new Date().toISOString();
    this.events.changed();
    for (const stream of [child.stdout!, child.stderr!]) {
      // Bytes, not readline: invalid UTF-8 and control characters are escaped, long lines split (log-text.ts).
      const lines = new OutputLines((line) => {
        entry.recentOutput.push(line);
        if (entry.recentOutput.length > 20) entry.recentOutput.shift();
        this.events.log(spec.app, source, line);
      });
      stream.on('data', (chunk: Buffer) => lines.write(chunk));
      stream.on('end', () => lines.end());
    }
    let exited = false;
    child.on('error', (error) => {
      entry.reason = `could not start: ${error.message}`;
    });
    child.on('exit', (code, signal) => {
      if (entry.child === child) {
        entry.child = undefined;
        entry.childStartTime = undefined;
        entry.liveness?.stop();
        entry.liveness = undefined;
      }
      const how = `${signal ? `signal ${signal}` : `code ${code}`}${this.outOfMemory(entry)}`;
      if (entry.stopping || entry.state !== 'starting') exited = true;
      if (entry.stopping) return;
      if (entry.state === 'starting') {
        // Its last words may still be in the pipes: the reason waits for them (briefly: a
        // process it left behind may hold them open).
        const fail = () => {
          if (exited) return;
          this.events.log(spec.app, source, `process exited with ${how}`);
          entry.reason = `${source} exited with ${how} during boot${lastLines(entry)}`;
          exited = true;
        };
        const timer = setTimeout(fail, 500);
        child.once('close', () => {
          clearTimeout(timer);
          fail();
        });
        return;
      }
      this.events.log(spec.app, source, `process exited with ${how}`);
      entry.crashStreak = nextStreak(entry.crashStreak, Date.now() - (entry.readySince ?? Date.now()));
      entry.state = 'crashed';
      entry.reason = entry.killedFor ? `${entry.killedFor}, then exited with ${how}` : `exited with ${how}`;
      entry.killedFor = undefined;
      this.report(entry);
      this.scheduleRestart(entry);
    });

    const ready = spec.readiness
      ? await waitReady(entry.port, spec.readiness, () => exited)
      : await new Promise<boolean>((resolve) => setTimeout(() => resolve(!exited), SETTLE_MS));
    // Another app's uid on this port would receive this app's traffic: never ready then.
    const squatted = ready && spec.readiness && spec.user && this.sandbox.isolation.mode === 'uid' ? await foreignListener(entry.port, spec.user.uid) : undefined;
    if (squatted) entry.reason = `${source} cannot be trusted with its PORT: ${squatted}`;
    if (!ready || squatted) {
      entry.state = 'failed';
      if (!entry.reason) {
        entry.reason = spec.readiness
          ? `${source} did not answer HTTP on its PORT within ${Math.round(spec.readiness.timeoutMs / 1000)} s${lastLines(entry)}`
          : `${source} did not stay up`;
      }
      this.report(entry);
      return false;
    }
    entry.state = 'ready';
    entry.readySince = Date.now();
    this.report(entry);
    this.watchLiveness(entry);
    return true;
  }

  /**
   * A ready web process that stops answering is treated as crashed: reported so (only ready
   * processes are routed, so the server takes it out of the router), then killed, and its exit
   * takes the crash path above — crash count, backoff, restart on the same port.
   */
  private watchLiveness(entry: Supervised): void {
    const check = entry.spec.liveness;
    const child = entry.child;
    if (!check || !child) return;
    entry.liveness = watchLiveness(entry.port, check, (failures, why) => {
      entry.liveness = undefined;
      if (entry.stopping || entry.child !== child || entry.state !== 'ready') return;
      const source = entry.spec.env.DYNO ?? entry.spec.type;
      entry.killedFor = `failed its liveness check ${failures} times in a row (${why})`;
      this.events.log(entry.spec.app, source, `${source} ${entry.killedFor}: restarting`);
      entry.state = 'crashed';
      entry.reason = entry.killedFor;
      this.report(entry);
      void this.kill(entry, UNHEALTHY_GRACE_MS);
    });
  }

  /** A fresh resource group for the process's next run (none where the host has no cgroups). */
  private async openGroup(entry: Supervised): Promise<ResourceGroup | undefined> {
    const limits = this.sandbox.limits;
    if (!limits) return undefined;
    await entry.group?.remove();
    const name = `${limits.prefix}.${entry.spec.id.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 80)}`;
    entry.group = await ResourceGroup.create(limits.host, name, limits.app);
    return entry.group;
  }

  private outOfMemory(entry: Supervised): string {
    const memory = this.sandbox.limits?.app.memoryBytes;
    return memory && entry.group && entry.group.oomKills() > 0 ? ` (out of memory: the limit is ${formatBytes(memory)}, SCALARIUM_APP_MEMORY)` : '';
  }

  private scheduleRestart(entry: Supervised): void {
    const delay = crashBackoffMs(entry.crashStreak);
    if (entry.crashStreak > 1) {
      const source = entry.spec.env.DYNO ?? entry.spec.type;
      this.events.log(entry.spec.app, source, `crashed ${entry.crashStreak} times in a row: restarting in ${Math.round(delay / 1000)} s`);
    }
    entry.restartTimer = setTimeout(async () => {
      if (entry.stopping) return;
      entry.restarts++;
      const ok = await this.launch(entry);
      if (!ok && !entry.stopping) {
        await this.kill(entry, 1000);
        entry.crashStreak++;
        entry.state = 'crashed';
        this.report(entry);
        this.scheduleRestart(entry);
      }
    }, delay);
  }

  private async stopOne(entry: Supervised, graceMs: number): Promise<void> {
    entry.stopping = true;
    clearTimeout(entry.restartTimer);
    entry.liveness?.stop();
    entry.liveness = undefined;
    await this.kill(entry, graceMs);
    await entry.group?.remove();
    entry.group = undefined;
    if (entry.spec.user) await this.sandbox.loopback?.revoke(entry.port, entry.spec.user.uid);
    entry.state = 'stopped';
    this.report(entry);
  }

  /** SIGTERM to the process group, SIGKILL after the grace period. */
  private async kill(entry: Supervised, graceMs: number): Promise<void> {
    const child = entry.child;
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    signalGroup(child.pid, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
    // Whatever the command left behind in its group goes too.
    signalGroup(child.pid, 'SIGKILL');
  }

  private report(entry: Supervised): void {
    this.events.report(toReport(entry));
    this.events.changed();
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function lastLines(entry: Supervised): string {
  const lines = entry.recentOutput.slice(-5);
  return lines.length ? `; last output:\n  ${lines.join('\n  ')}` : '';
}

function toReport(entry: Supervised): ProcessReport {
  return {
    id: entry.spec.id, app: entry.spec.app, type: entry.spec.type, release: entry.spec.release, state: entry.state,
    port: entry.port, pid: entry.child?.pid, restarts: entry.restarts, startedAt: entry.startedAt, reason: entry.reason,
  };
}
