// The shapes that flow through the hooks. Plugins import these; nothing here has behaviour.
import type { AppRow, Formation } from '../db/apps.ts';
import type { Principal } from '../db/identity.ts';
import type { Release } from '../db/releases.ts';
import type { Step } from '../db/deployments.ts';
import type { Cluster, Instance } from '../db/instances.ts';
import type { BuildWorkspace } from '../build/workspace.ts';
import type { InstanceUsage, ProcessUsage, RouteUsage } from '../agent/protocol.ts';

/** Where progress for the person waiting goes (a git push's "remote:" lines, an API log). */
export interface Output {
  line(text: string): void;
}

export interface Credentials {
  token?: string;
  sessionId?: string;
}

/** What a request wants to do; plugins/access/policy.ts maps each action to the role it needs. */
export type Action = 'read' | 'logs' | 'deploy' | 'configure' | 'scale' | 'destroy' | 'create' | 'manage' | 'admin' | 'self';
export interface Resource { kind: 'app' | 'cluster' | 'server'; name?: string }

/** New code asked to go live: a git push, or a deploy of a commit or an archive through the API or UI. */
export interface PushContext {
  app: AppRow;
  principal: Principal;
  via: 'git' | 'api';
  ref: string;
  oldSha: string;
  /** The commit to deploy; null for an archive (it has none). */
  newSha: string | null;
}

export interface BuildContext {
  app: AppRow;
  commit: string;
  /** The checked-out source; builders transform it in place into what the slug will hold. */
  buildDir: string;
  cacheDir: string;
  /** One file per config var, as buildpacks expect. */
  envDir: string;
  config: Record<string, string>;
  output: Output;
  /** The build's folders and identity: run every step of the build through `workspace.confine`. */
  workspace: BuildWorkspace;
}

export interface Detection {
  builder: string;
  /** Human name, e.g. "Node.js". */
  name: string;
  data?: unknown;
}

export interface ReleaseSpec {
  processTypes: Record<string, string>;
  config: Record<string, string>;
  description: string;
}

export interface ReleaseContext {
  app: AppRow;
  buildDir?: string;
  build?: BuildContext;
  /** Which builder built it (taps of the builder that proposed defaults check it). */
  detection?: Detection;
}

export interface DeployContext {
  app: AppRow;
  release: Release;
  formation: Formation;
  deploymentId: number;
  steps: Step[];
  output: Output;
  /** Replace processes even when they already run this release (ps:restart, config change). */
  replace: boolean;
  /** Only these process types (ps:restart web); all when undefined. */
  onlyTypes?: string[];
}

export interface UndeployContext { app: AppRow; output: Output }

export interface ClusterEventContext {
  cluster: Cluster;
  instances: Instance[];
  reason: string;
}

export interface DeploymentOutcome {
  app: AppRow;
  release: Release;
  deploymentId: number;
  error?: Error;
}

/**
 * One line of an app's log. `source`: the app's process ("web.1"), "router" or "scalarium".
 * `process` (optional): for router and scalarium lines, what the brackets say (`router[<instance>]`,
 * `scalarium[deploy]`). Lines from agents and routers arrive escaped and at most 10 KB (server/agent/log-text.ts).
 */
export interface LogLine { app: string; source: string; line: string; at: string; process?: string }
/** An agent or router connected (or came back); its instance row is up to date already. */
/** An account an instance must have: the user's name, sudo or not, and the SSH public keys it accepts. */
export interface InstanceAccount { user: string; sudo: boolean; keys: string[] }
/** An app or cluster that was destroyed: what plugins kept under its name goes too. */
export interface Destroyed { kind: 'app' | 'cluster'; name: string }

/**
 * One instance's metrics for one interval, checked (server/agent/metrics-relay.ts): an agent's
 * usage of the instance and of its app processes, or a router's traffic per app.
 */
export interface MetricsReport {
  instance: Instance;
  cluster: Cluster;
  /** When the interval ended (ms). */
  at: number;
  intervalMs: number;
  usage?: InstanceUsage;
  processes: ProcessUsage[];
  routes: Array<{ app: string; usage: RouteUsage }>;
}

export interface InstanceConnected { instance: Instance; cluster: Cluster; kind: 'agent' | 'router'; firstTime: boolean }
/**
 * One answered request. `route` is the pattern it matched (`/api/apps/:app`), `git` for git's smart
 * HTTP, or `unmatched`: never the raw path, so the set of values stays small. `ms` is the time to
 * the response's headers (a stream, e.g. `logs --tail`, goes on after).
 */
export interface HttpRequestDone { method: string; route: string; status: number; ms: number }
/**
 * One reconcile pass of a cluster, before its provider brings the instances to the role counts:
 * healing and autoscaling adjust desired state (role counts, instances given up on) in it.
 */
export interface ReconcilePass { cluster: Cluster; reason: string }
export interface InstanceDisconnected { instance: Instance; cluster: Cluster; kind: 'agent' | 'router' }

/** A process's new state (or a restart) as the database now has it; `reason` is the agent's word on a crash. */
export interface ProcessChanged {
  processId: string; app: string; type: string; instanceId: string; release: number;
  state: 'starting' | 'ready' | 'crashed' | 'failed' | 'stopped'; restarts: number; reason?: string; at: number;
}

/** Where a metric figure is about: an app (and a process type), or a cluster (a role, an instance). */
export interface MetricScope { app?: string; type?: string; cluster?: string; role?: string; instance?: string }
export interface MetricInfo {
  name: string; unit: 'count' | 'per_second' | 'ms' | 'percent' | 'bytes' | 'load'; help: string;
  /** What a question must name: `app` (optionally `type`) or `cluster` (optionally `role`, `instance`). */
  about: 'app' | 'cluster';
}
export interface MetricValueQuery { metric: string; scope: MetricScope; windowMs: number; now?: number }
/** null: the metric is known but nothing was measured in the window (an idle app has no p95). */
export interface MetricValue { value: number | null; unit: MetricInfo['unit'] }

export interface AuditEvent { actor: string; action: string; target?: string; outcome: string; source?: string }
export interface NavItem { href: string; label: string }
/** Whom the nav is for: a plugin shows admin-only entries to admins (its pages check again). */
export interface NavViewer { user: string; admin: boolean }
/** The tabs of an app's pages: for whom, and which app (its read access already checked). */
export interface AppNavContext { app: string; viewer: NavViewer }
/** The tabs of a cluster's pages: for whom, and which cluster (its read access already checked). */
export interface ClusterNavContext { cluster: string; viewer: NavViewer }

/** What an alert says when it fires or resolves; a notifier turns it into a message of its kind. */
export interface AlertNotification {
  state: 'firing' | 'resolved';
  /** One line, e.g. "FIRING shop: p95_ms 812 ms > 500 ms for 5m" */
  title: string;
  /** A few lines: the rule, the value, since when, where to look. */
  text: string;
  rule: { id: number; name: string; metric: string; scope: MetricScope };
  value: number | null;
  at: string;
  /** The server's page of the alert, when the server knows its public URL. */
  url?: string;
}

/**
 * A kind of notifier (webhook, email; PagerDuty or Matrix from other plugins). `settings` checks
 * what a user gave and returns what to keep (sealed at rest: it may hold secrets); `describe` is
 * what may be shown of it (no secret); `send` delivers one notification or throws (it is retried).
 */
export interface NotifierKind {
  kind: string;
  /** The CLI flag / API field that selects this kind, e.g. webhook for `--webhook URL`. */
  help: string;
  settings(input: Record<string, unknown>): Promise<Record<string, string>>;
  describe(settings: Record<string, string>): string;
  send(settings: Record<string, string>, notification: AlertNotification, signal: AbortSignal): Promise<void>;
}
