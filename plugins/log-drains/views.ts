// A drain as the API answers it (and the CLI and UI show it): the redacted URL, never the sealed one,
// with how its sender is doing since the server started.
import type { DrainFormat, DrainKind } from './drain-url.ts';
import type { DrainStatus } from './sender.ts';
import type { DrainRow } from './store.ts';

export interface DrainView extends DrainStatus {
  /** d.<uuid>: what drains:remove takes, and the Logplex-Drain-Token header. */
  token: string;
  /** Redacted: user names, passwords and query values are "***". */
  url: string;
  kind: DrainKind;
  format: DrainFormat;
  app?: string;
  cluster?: string;
  createdBy: string;
  createdAt: string;
}

const IDLE: DrainStatus = { state: 'ok', delivered: 0, dropped: 0, backlog: 0 };

export function drainView(row: DrainRow, status: DrainStatus | undefined): DrainView {
  return {
    token: row.token, url: row.shownUrl, kind: row.kind, format: row.format, [row.owner.kind]: row.owner.name,
    createdBy: row.createdBy, createdAt: row.createdAt, ...(status ?? IDLE),
  };
}
