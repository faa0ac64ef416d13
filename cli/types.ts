// The shapes of the API answers the CLI reads (docs/api.md). Fields the CLI does not use are left
// out; `--json` always prints the server's JSON untouched.

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
