// What the provider (in the server's process) and the fleet host (the child process the simulated
// instances live in) say to each other over the child's IPC channel. Orders come in batches: one
// message boots a whole scale-up.
import type { RouteTable } from '../../server/plugin-api.ts';

/** The load an instance reports, around these figures (see load-model.ts). */
export interface LoadProfile { seed: number; cpuPercent: number; cpuJitter: number; memoryPercent: number }

export interface BootOrder {
  id: string;
  kind: 'agent' | 'router';
  /** The instance's real token: the server checks it like any agent's. */
  token: string;
  /** ws://…/agent */
  url: string;
  bootMs: number;
  /** Decided by the provider from the cluster's seed (seeded.ts): the boot ends in a failure, not a connection. */
  fails: boolean;
  load: LoadProfile;
}

/** What a simulated instance holds, for tests to look at. */
export interface InstanceView { processes: Array<{ id: string; app: string; type: string; state: string; port: number }>; table: RouteTable | undefined; connected: boolean }

export type ToHost =
  | { type: 'boot'; orders: BootOrder[] }
  /** Goodbye: the connection is closed properly (terminate, scale-down). */
  | { type: 'stop'; ids: string[] }
  /** No goodbye: the socket is destroyed as if the machine lost power; the instance never comes back. */
  | { type: 'kill'; ids: string[]; reqId: number }
  /** Silence: connected, but nothing the instance sends arrives for `ms` (a partition, a hung machine). */
  | { type: 'mute'; ids: string[]; ms: number; reqId: number }
  | { type: 'inspect'; id: string; reqId: number };

export type FromHost =
  | { type: 'ready'; pid: number }
  | { type: 'boot-failed'; id: string; reason: string }
  | { type: 'answer'; reqId: number; result: unknown };
