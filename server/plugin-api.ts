// The plugin API: what a plugin needs from core, in one module. A plugin of your own imports from
// here only (docs/plugins.md); core's other modules may change between versions, this one changes
// with care. Every built-in plugin uses nothing else (eslint.config.js holds them to it).
//
// The groups go from what every plugin needs to what one kind of plugin needs: the plugin object and
// hooks; errors, audit and names; core's records; API routes; UI pages; then, for one kind of plugin
// each, identity (an access plugin), builds (a builder plugin) and the agent protocol (provider,
// lifecycle, rollout and routing plugins). Nothing under server/ imports this module, so it cannot
// close an import cycle.

// The plugin object, the hooks and what they are called with; STAGE orders taps.
export type { Plugin, Scalarium, ServerCommand, Hooks } from './core/scalarium.ts';
export type {
  Action, AppNavContext, AuditEvent, ClusterNavContext, BuildContext, ClusterEventContext, Credentials, DeployContext, DeploymentOutcome, Detection,
  Destroyed, InstanceAccount, InstanceConnected, InstanceDisconnected, ReconcilePass, MetricInfo, MetricScope, MetricValue, MetricValueQuery, HttpRequestDone, MetricsReport, NotifierKind, AlertNotification, ProcessChanged, LogLine, NavItem, NavViewer, Output, PushContext, ReleaseContext, ReleaseSpec, Resource, UndeployContext,
} from './core/types.ts';
export { STAGE } from './core/stages.ts';
export type { Migration } from './db/migrations/index.ts';

// Errors people see (HTTP status, CLI message, hint), and the audit log every change writes to.
export { ScalariumError, pluginError, type ErrorEntry } from './core/errors.ts';
export { audit, UI_SESSION } from './core/audit.ts';
export { requireApp, scale as scaleFormation } from './core/app-service.ts';
// The one allow-list of names (apps, process types, …), and reading a file of pushed source safely.
export { parseDuration, formatDuration } from './core/duration.ts';
export { assertName, describeValue, isValidName, isValidProcessType } from './core/names.ts';
export { readSourceFile } from './build/source-files.ts';
// Measuring a step (deployment steps record their durations).
export { timed } from './core/timed.ts';

// Core's records: the database handle, and the apps, releases, clusters, instances, processes and
// deployments a plugin reads. The rollout writes the process rows (it is what places processes).
export { now, type Db } from './db/knex.ts';
export { findApp, listApps, type AppRow } from './db/apps.ts';
export { latestRelease, type Release } from './db/releases.ts';
export { defaultFormation } from './core/pipeline.ts';
export type { Step } from './db/deployments.ts';
export {
  countLiveInstances, findCluster, findClusterById, listClusters, listInstances, type Cluster, type Instance, type InstanceState,
} from './db/instances.ts';
export { listRoles } from './db/clusters.ts';
export {
  deleteProcesses, insertProcess, listProcesses, routedWebBackends, setRouted, updateProcess, type ProcessRow,
} from './db/processes.ts';
// Asking for a configure event on a cluster (bursts coalesce; docs/how-it-works.md).
export { configureCluster } from './core/configure.ts';
// Reading the audit log (writing goes through audit() above).
export { queryAudit, type AuditQuery } from './db/audit.ts';

// API routes: declare() names the action a route needs; the authorize hook decides.
export { declare, appResource, clusterResource, serverResource, type RouteDeclaration } from './http/api/route-table.ts';
export { readJson, readForm } from './http/json-body.ts';
export { bearerToken } from './http/bearer.ts';
// Request bodies: a zod schema per body, parsed with parseBody into its typed value or the catalogue
// error for what is wrong (invalid_body with the schema's words, or a field's own code); fields that
// core's bodies share (names, flags, whole numbers), and core's parsers as zod fields (parsedBy).
export { parseBody, parsedBy, refusedAs, fieldOf, type ReasonCode, type Refusal } from './http/api/bodies/parse.ts';
export { OBJECT_BODY, flag, keyOf, nameOf, wholeNumber } from './http/api/bodies/fields.ts';
export { MAX_INSTANCES_PER_ROLE } from './http/api/bodies/clusters.ts';
export { MAX_PROCESSES_PER_TYPE } from './http/api/bodies/ps.ts';

// UI pages: sessions, the same authorize hook, CSRF-checked forms, rendering with the layout.
export { requireSession, seeOther, type UiSession } from './http/ui/session.ts';
export { authorizeApp, authorizeCluster, authorizeServer, mayOnApp, mayOnCluster } from './http/ui/authorize.ts';
export { readCheckedForm } from './http/ui/csrf.ts';
export { formPost, withNotice, type Form, type FormError, type FormPost, type FormTarget } from './http/ui/form-post.ts';
export { view, appTabs, clusterTabs, flash } from './http/ui/view.ts';
// Graphs: a template draws one with {{graph options}}; the SVG escapes its labels.
export { formatValue, renderGraph, type GraphOptions, type GraphSeries, type GraphUnit } from './http/ui/graph.ts';
// Log-in pages: starting and ending a session, and CSRF for forms shown before there is one.
export { endSession, loadSession, startSession } from './http/ui/session.ts';
export { clearPreSessionCsrf, preSessionCsrf, readCheckedPreSessionForm } from './http/ui/csrf.ts';
// Cookies with the UI's attributes (HttpOnly, Secure over TLS, SameSite), signed when asked.
export { readCookie, setCookie, type CookieOptions } from './http/ui/cookies.ts';

// For an access plugin: core's users, tokens, sessions and invites, which it administers and checks
// every request against (the authenticate and authorize hooks).
export {
  consumeInvite, countEnabledAdmins, createInvite, createToken, createUser, deleteToken, deleteUser, findInvite, findSession,
  findToken, findUserByName, findUserWithPassword, listTokens, listUsers, principalForToken, setDisabled, setPassword, ROLES,
  type Principal, type Role, type Scope, type User,
} from './db/identity.ts';

// For a builder plugin: running Heroku classic buildpacks in the build sandbox (docs/buildpacks.md),
// fetching them under the outbound policy, and the built-in ones the server installs.
export {
  BUILTIN_ORDER as BUILTIN_BUILDPACKS, builtin as builtinBuildpack, compile as compileBuildpack, detect as detectBuildpack,
  release as releaseBuildpack, type Buildpack, type BuildpackSources, type DetectResult, type ReleaseInfo,
} from './build/buildpack-runner.ts';
export { resolveBuildpack } from './build/buildpack-resolve.ts';
export { exportFileOf, stageBuildpack } from './build/buildpack-stage.ts';
export { builtinBuildpacksDir } from './build/workspace.ts';
export { outboundPolicy } from './core/outbound-policy.ts';
// For plugins that send to addresses users give (drains, webhooks): the same policy as core's
// fetches (private ranges refused unless allowed, never this server itself), and the URL check.
export { isBlockedAddress, OutboundError, pinnedLookup, vetOutboundUrl, vettedAddresses, type OutboundPolicy } from './net/outbound.ts';
/**
 * Secrets a plugin stores (webhook URLs, passwords): sealed with the server's key (AES-256-GCM),
 * bound to `aad` (say which row and column, e.g. `drain:12:url`) so a sealed value cannot be moved.
 */
export { open as openSecret, seal as sealSecret } from './db/sealed.ts';

// For plugins that talk to instances (lifecycle, rollout, routing, providers): core's protocol with
// the agent, the cluster document an event gets, the records of event runs, and the Unix user an
// app's processes run as.
export type {
  Backend, InstanceUsage, LifecycleEventName, MetricsMessage, ProcessReport, ProcessSpec, ProcessUsage, Request as AgentRequest, RouteTable, RouteUsage,
} from './agent/protocol.ts';
export { LATENCY_BUCKETS_MS, bucketIndex } from './router/latency-buckets.ts';
// Log text held to one line: controls and invalid text escaped, split at MAX_LINE_BYTES (what agents do to app output).
export { logTextLines, MAX_LINE_BYTES } from './agent/log-text.ts';
export { AGENT_PATH } from './agent/protocol.ts';
export type { HookResult } from './agent/app-hooks.ts';
export { clusterDocument } from './core/cluster-json.ts';
export { finishEventRun, startEventRun } from './db/clusters.ts';
export { appUser } from './sandbox/identities.ts';

// For provider plugins: the Provider a plugin registers, the instance rows it keeps, waiting for an
// agent to come online and shutting one down through the shutdown event, the cluster's settings
// (credentials, sizes), the resource limits an instance's agent applies, and the agent's side of
// the connection (provider-null runs its fake agents in-process with it).
export type { Provider } from './core/provider.ts';
export type { Peer } from './agent/hub.ts';
export { PeerConnection } from './agent/peer-connection.ts';
export { findInstance, giveUpInstance, insertInstance, setInstanceToken, updateInstance } from './db/instances.ts';
export { getClusterSettings, setClusterSettings, setRoleCounts, type ClusterSettings } from './db/clusters.ts';
export { shutdownInstance, waitUntilOnline } from './core/lifecycle.ts';
export { reconcileCluster, requireCluster } from './core/cluster-service.ts';
export { reconcileApp } from './core/reconciler.ts';
export { LIMIT_VARIABLES, limitEnv } from './sandbox/limits.ts';

// For a provider that runs instances on this host (provider-local): where instances keep their
// files, the compiled instance program, the records agents leave of their app processes, the
// instances' resource groups, and the loopback firewall that keeps apps off each other's ports.
export { dataPaths } from './core/paths.ts';
export { agentBundle } from './agent/bundle.ts';
export { endRecorded, readRecords, writeRecords } from './agent/process-records.ts';
export { agentGroupPrefix, detectCgroups, sweepGroups } from './sandbox/cgroups.ts';
export { ensureAppPortsChain, LoopbackGuard, type UidSpan } from './net/loopback-guard.ts';
export { formatPortRange, type PortRange } from './net/port-range.ts';
