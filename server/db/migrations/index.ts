// Migrations are listed in code (not discovered from file names) so their order is explicit and
// they load the same way under tsx, in tests and in production.
import type { Knex } from 'knex';
import * as initial from './001-initial.ts';
import * as access from './002-access.ts';
import * as clusters from './003-clusters.ts';
import * as tokenRotation from './004-token-rotation.ts';
import * as appIdentities from './005-app-identities.ts';
import * as deployJournal from './006-deploy-journal.ts';
import * as deployBranch from './007-deploy-branch.ts';

export interface Migration {
  up(db: Knex): Promise<void>;
  down(db: Knex): Promise<void>;
}

const list: Array<[string, Migration]> = [
  ['001-initial', initial],
  ['002-access', access],
  ['003-clusters', clusters],
  ['004-token-rotation', tokenRotation],
  ['005-app-identities', appIdentities],
  ['006-deploy-journal', deployJournal],
  ['007-deploy-branch', deployBranch],
];

/** Migrations in the order given, by name (core's list above; a plugin's list of its own). */
export function migrationSource(entries: Array<[string, Migration]>): Knex.MigrationSource<[string, Migration]> {
  return {
    getMigrations: async () => entries,
    getMigrationName: ([name]) => name,
    getMigration: async ([, migration]) => migration,
  };
}

export const migrations = migrationSource(list);
