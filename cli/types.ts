// The shapes of what the CLI sends to the API and reads back (docs/api.md).
//
// Request bodies are the server's own zod schemas, as what a client may send (z.input): the CLI
// cannot build a body the server's schema would not take. Imported as types only, so the compiled
// CLI (dist/cli.mjs) carries no zod and no server code.
//
// Answers are written out by hand from what the server presents: apps, releases and processes in
// server/http/api/present.ts, clusters and their instances in server/http/api/clusters.ts
// (clusterJson), users, grants, tokens and keys in plugins/access/routes/*.ts, audit rows in
// server/db/audit.ts. Fields the CLI does not use are left out; `--json` always prints the server's
// JSON untouched.
import type { z } from 'zod';
import type { appChangeBody, newAppBody } from '../server/http/api/bodies/apps.ts';
import type { configBody } from '../server/http/api/bodies/config.ts';
import type { formationBody, restartBody } from '../server/http/api/bodies/ps.ts';
import type { deployBody, rollbackBody } from '../server/http/api/bodies/releases.ts';
import type { newClusterBody, roleCountsBody } from '../server/http/api/bodies/clusters.ts';
import type { grantBody, keyBody, newUserBody, revokeBody, tokenBody } from '../plugins/access/bodies.ts';

/** POST /api/apps */
export type NewAppBody = z.input<typeof newAppBody>;
/** PATCH /api/apps/:app */
export type AppChangeBody = z.input<typeof appChangeBody>;
/** PATCH /api/apps/:app/config (null unsets) */
export type ConfigBody = z.input<typeof configBody>;
/** PATCH /api/apps/:app/formation */
export type FormationBody = z.input<typeof formationBody>;
/** POST /api/apps/:app/restart */
export type RestartBody = z.input<typeof restartBody>;
/** POST /api/apps/:app/rollback */
export type RollbackBody = z.input<typeof rollbackBody>;
/** POST /api/apps/:app/deploy, as JSON (a tarball is sent as it is) */
export type DeployBody = z.input<typeof deployBody>;
/** POST /api/clusters */
export type NewClusterBody = z.input<typeof newClusterBody>;
/** PATCH /api/clusters/:cluster/roles */
export type RoleCountsBody = z.input<typeof roleCountsBody>;
/** POST /api/users */
export type NewUserBody = z.input<typeof newUserBody>;
/** POST /api/access */
export type GrantBody = z.input<typeof grantBody>;
/** POST /api/access/revoke */
export type RevokeBody = z.input<typeof revokeBody>;
/** POST /api/tokens */
export type TokenBody = z.input<typeof tokenBody>;
/** POST /api/keys */
export type KeyBody = z.input<typeof keyBody>;

// Answers.

export interface Whoami {
  user: { name: string };
  token?: { name?: string };
}

export interface ReleaseRef {
  version: number;
  commit?: string | null;
  createdAt?: string;
}

export interface App {
  name: string;
  /** The cluster the app runs on (older servers leave it out). */
  cluster?: string | null;
  url: string;
  gitUrl: string;
  /** The branch whose pushes deploy the app (older servers leave it out). */
  deployBranch?: string;
  formation: Record<string, number>;
  release: ReleaseRef | null;
  createdAt: string;
  processes?: Process[];
}

export interface Release {
  version: number;
  description?: string;
  commit?: string | null;
  slug?: string | null;
  processTypes?: Record<string, string>;
  createdBy?: string;
  createdAt?: string;
  timings?: Record<string, number>;
  current?: boolean;
}

export interface Process {
  id: string;
  type: string;
  name: string;
  state: string;
  release?: unknown;
  instance?: unknown;
  port?: number | null;
  restarts?: number;
  startedAt?: string | null;
}

// Access control (docs/api.md, "Access control").

export interface User {
  name: string;
  email?: string | null;
  admin?: boolean;
  disabled?: boolean;
  invitePending?: boolean;
  createdAt?: string;
}

export interface Scope {
  kind: 'app' | 'cluster';
  name: string;
}

export interface Grant {
  user: string;
  scope: Scope;
  role: string;
  ssh?: boolean;
  sudo?: boolean;
}

export interface ApiToken {
  name: string;
  scope: Scope | null;
  role: string | null;
  createdAt?: string;
  expiresAt?: string | null;
  lastUsedAt?: string | null;
  hint?: string;
}

export interface SshKey {
  fingerprint: string;
  type?: string;
  comment?: string | null;
  createdAt?: string;
}

export interface AuditEntry {
  id: number | string;
  at: string;
  actor: string | null;
  source?: string | null;
  action: string;
  target?: string | null;
  outcome: string;
  detail?: unknown;
}

// Clusters (docs/api.md, "Clusters").

export interface ClusterRole {
  name: string;
  count: number;
}

export interface ClusterInstance {
  id: string;
  role: string;
  /** requested → booting → setup → online → draining → stopped, or failed */
  state: string;
  address?: string | null;
  providerRef?: string | null;
  failure?: string | null;
  connected?: boolean;
  lastSeenAt?: string | null;
}

export interface Cluster {
  name: string;
  provider: string;
  /** Provider settings; `credentials` is "stored (encrypted)" or null, never the keys. */
  settings?: Record<string, unknown>;
  roles: ClusterRole[];
  instances?: ClusterInstance[];
  apps?: string[];
}

/** One run of a lifecycle event (setup, configure, deploy, undeploy, shutdown) on one instance. */
export interface EventRun {
  id: number | string;
  instanceId?: string | null;
  event: string;
  app?: string | null;
  status: string;
  output?: string | null;
  durationMs?: number | null;
  reason?: string | null;
  startedAt?: string | null;
  finishedAt?: string | null;
}
