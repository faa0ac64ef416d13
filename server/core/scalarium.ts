// The Scalarium object: the frozen hooks every plugin taps, plus typed registries for strategies
// that have several methods (providers). Reading `hooks` below teaches the whole plugin API.
import crypto from 'node:crypto';
import {
  AsyncParallelHook, AsyncSeriesBailHook, AsyncSeriesHook, AsyncSeriesWaterfallHook, HookMap, SyncHook,
  SyncWaterfallHook,
} from 'tapable';
import type Router from '@koa/router';
import type { Db } from '../db/knex.ts';
import type { Migration } from '../db/migrations/index.ts';
import type { ServerConfig } from './config.ts';
import type { Principal } from '../db/identity.ts';
import type { Cluster } from '../db/instances.ts';
import type {
  Action, AppNavContext, AuditEvent, ClusterNavContext, BuildContext, ClusterEventContext, Credentials, DeployContext, DeploymentOutcome, Destroyed,
  Detection, InstanceAccount, InstanceConnected, InstanceDisconnected, ReconcilePass, MetricInfo, MetricValue, MetricValueQuery, HttpRequestDone, MetricsReport, NotifierKind, ProcessChanged, LogLine, NavItem, NavViewer, PushContext, ReleaseContext, ReleaseSpec, Resource, UndeployContext,
} from './types.ts';
import type { AgentHub } from '../agent/hub.ts';
import type { Provider } from './provider.ts';
import { detectIsolation, type Isolation } from '../sandbox/isolation.ts';
import { detectCgroups, type CgroupDetection } from '../sandbox/cgroups.ts';
import { Templates } from '../http/ui/render.ts';

export function createHooks() {
  return Object.freeze({
    /** credentials → principal; the first plugin that recognises them wins. */
    authenticate: new AsyncSeriesBailHook<[Credentials], Principal | undefined>(['credentials']),
    /** (principal, action, resource) → true (allow) / false (deny); undefined passes on. */
    authorize: new AsyncSeriesBailHook<[Principal, Action, Resource], boolean | undefined>(['principal', 'action', 'resource']),
    /** After a denial: why, in words for the one denied ("… needs the manager role; this token is capped at deployer"). */
    whyDenied: new AsyncSeriesBailHook<[Principal, Action, Resource], string | undefined>(['principal', 'action', 'resource']),
    /** Veto new code (a git push, an API/UI deploy of a commit or archive) before any work: return the reason. */
    receive: new AsyncSeriesBailHook<[PushContext], string | undefined>(['push']),
    /** The first builder that claims the source wins. */
    detect: new AsyncSeriesBailHook<[BuildContext], Detection | undefined>(['build']),
    /** Keyed by Detection.builder. */
    build: new HookMap(() => new AsyncSeriesHook<[BuildContext, Detection]>(['build', 'detection'])),
    /** Each tap refines the release spec (Procfile, bin/release defaults, config vars). */
    release: new AsyncSeriesWaterfallHook<[ReleaseSpec, ReleaseContext]>(['spec', 'context']),

    // The five lifecycle events.
    setup: new AsyncSeriesHook<[ClusterEventContext]>(['cluster']),
    configure: new AsyncSeriesHook<[ClusterEventContext]>(['cluster']),
    deploy: new AsyncSeriesHook<[DeployContext]>(['deploy']),
    undeploy: new AsyncSeriesHook<[UndeployContext]>(['undeploy']),
    shutdown: new AsyncSeriesHook<[ClusterEventContext]>(['cluster']),

    /** Observers of a deployment's outcome: notifications, alerts. */
    deployed: new AsyncParallelHook<[DeploymentOutcome]>(['outcome']),
    deployFailed: new AsyncParallelHook<[DeploymentOutcome]>(['outcome']),
    /** An instance's agent or router connected: push it what it needs (routes, accounts). */
    instanceConnected: new AsyncParallelHook<[InstanceConnected]>(['event']),
    /** An instance's agent or router went away (its row's lastSeenAt says when): alerts, accounting. */
    instanceDisconnected: new AsyncParallelHook<[InstanceDisconnected]>(['event']),
    /** The accounts a cluster's instances must have (the access plugin adds users with an SSH grant). */
    instanceAccounts: new AsyncSeriesWaterfallHook<[InstanceAccount[], Cluster]>(['accounts', 'cluster']),
    /** A cluster's reconcile pass, before its provider acts: healing replaces instances, autoscaling sets role counts. */
    reconcile: new AsyncSeriesHook<[ReconcilePass]>(['pass']),
    /** An app or cluster is gone: drop what is kept under its name (grants), so a new one of that name starts clean. */
    destroyed: new AsyncSeriesHook<[Destroyed]>(['destroyed']),

    // Observation streams.
    log: new SyncHook<[LogLine]>(['line']),
    /** Every metrics interval, per connected instance: its usage, its processes', a router's traffic per app. */
    metrics: new SyncHook<[MetricsReport]>(['report']),
    /** A process changed state or restarted, as its agent reported it (after the row was updated). */
    processChanged: new SyncHook<[ProcessChanged]>(['change']),
    /** The metrics a plugin can answer questions about (the monitoring plugin adds its own). */
    metricCatalogue: new SyncWaterfallHook<[MetricInfo[]]>(['metrics']),
    /** One figure of a metric over a recent window, for alerts and autoscaling; undefined: nobody knows it. */
    metricValue: new AsyncSeriesBailHook<[MetricValueQuery], MetricValue | undefined>(['query']),
    /** The kinds of notifier alerts can go to (webhook, email, …): one registry, filled by plugins. */
    notifierKinds: new SyncWaterfallHook<[NotifierKind[]]>(['kinds']),
    audit: new SyncHook<[AuditEvent]>(['event']),
    /** Every HTTP request the server answered: its route (the matched pattern, not the path), status and time. */
    httpRequest: new SyncHook<[HttpRequestDone]>(['request']),

    /** Plugins add API routes (under /api, the principal authenticated) … */
    routes: new SyncHook<[Router]>(['router']),
    /** … UI pages (server-rendered; templates through scalarium.templates.add) … */
    pages: new SyncHook<[Router]>(['router']),
    /** … menu entries of the UI, and tabs of an app's pages. */
    nav: new SyncWaterfallHook<[NavItem[], NavViewer]>(['items', 'viewer']),
    appNav: new SyncWaterfallHook<[NavItem[], AppNavContext]>(['items', 'context']),
    clusterNav: new SyncWaterfallHook<[NavItem[], ClusterNavContext]>(['items', 'context']),
  });
}

export type Hooks = ReturnType<typeof createHooks>;

export interface Plugin {
  name: string;
  apply(scalarium: Scalarium): void | Promise<void>;
  /** `scalarium-server <name>` commands of the plugin's own; they run without a started server. */
  commands?: ServerCommand[];
  /**
   * The plugin's tables: migrations in order, run before apply() and recorded apart from core's
   * (knex_migrations_<plugin>), so removing the plugin leaves its tables and breaks nothing.
   */
  migrations?: Array<[string, Migration]>;
}

export interface ServerCommand {
  name: string;
  /** One line for the usage text. */
  summary: string;
  /** Returns the exit code. */
  run(config: ServerConfig, args: string[]): Promise<number>;
}

export class Scalarium {
  readonly hooks: Hooks = createHooks();
  readonly providers = new Map<string, Provider>();
  /** The UI's page templates: core's, and those plugins add (`templates.add('access', folder)`). */
  readonly templates = new Templates();
  /** The operator-facing server log (stdout by default). */
  say: (line: string) => void = (line) => process.stdout.write(`${line}\n`);
  /** Where agents and hooks reach this server (http://host:port), known once it listens. */
  baseUrl = '';
  /** Functions run when the server stops, newest first. */
  private readonly closers: Array<() => Promise<void> | void> = [];
  private detectedIsolation?: Isolation;
  private detectedCgroups?: CgroupDetection;
  /** What plugins found about this host that an admin should know (the Status page shows them). */
  readonly statusNotes = new Map<string, { ok: boolean; text: string }>();
  /**
   * Where apps go when nobody names a cluster, made at start; a provider plugin names it
   * (provider-local: "local"). Without one, every app names its cluster.
   */
  defaultCluster?: { name: string; provider: string };
  /**
   * The keys koa signs cookies with (ctx.cookies.set(…, { signed: true })), derived from the secret
   * key at start (server/main.ts); a Scalarium made elsewhere (tests) gets a key of its own.
   */
  cookieKeys: Buffer[] = [crypto.randomBytes(32)];

  constructor(
    readonly config: ServerConfig,
    readonly db: Db,
    readonly hub: AgentHub,
    /** "<serverId>:<bootId>": owner of the leases and deployments of this server's life. */
    readonly owner: string,
  ) {}

  /** How builds (and local instances' apps) are kept from the platform: probed once, on first use. */
  get isolation(): Isolation {
    this.detectedIsolation ??= detectIsolation(process.env);
    return this.detectedIsolation;
  }

  /** Whether builds (and local instances' apps) can be held to their resource limits here. */
  get cgroups(): CgroupDetection {
    this.detectedCgroups ??= detectCgroups(this.isolation.mode === 'uid');
    return this.detectedCgroups;
  }

  registerProvider(provider: Provider): void {
    if (this.providers.has(provider.name)) throw new Error(`provider "${provider.name}" is registered twice`);
    this.providers.set(provider.name, provider);
  }

  provider(name: string): Provider {
    const provider = this.providers.get(name);
    if (!provider) throw new Error(`no provider "${name}" is loaded`);
    return provider;
  }

  onClose(fn: () => Promise<void> | void): void {
    this.closers.unshift(fn);
  }

  async close(): Promise<void> {
    for (const fn of this.closers) await fn();
  }
}
