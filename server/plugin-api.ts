// The plugin API: what a plugin needs from core, in one module. A plugin of your own imports from
// here only (docs/plugins.md); core's other modules may change between versions, this one changes
// with care. The built-in plugins are moving to it: deploy-lock, logging, procfile and timings use
// nothing else (eslint.config.js ON_PLUGIN_API holds them to it).

// The plugin object, the hooks and what they are called with.
export type { Plugin, Scalarium, ServerCommand, Hooks } from './core/scalarium.ts';
export type {
  Action, AppNavContext, AuditEvent, BuildContext, ClusterEventContext, DeployContext, DeploymentOutcome, Detection,
  InstanceConnected, LogLine, NavItem, NavViewer, Output, PushContext, ReleaseContext, ReleaseSpec, Resource, UndeployContext,
} from './core/types.ts';
export { STAGE } from './core/stages.ts';
export type { Migration } from './db/migrations/index.ts';
export type { Db } from './db/knex.ts';
export type { Principal, User } from './db/identity.ts';
export type { AppRow } from './db/apps.ts';
export type { Release } from './db/releases.ts';

// Errors people see (HTTP status, CLI message, hint), and the audit log every change writes to.
export { ScalariumError } from './core/errors.ts';
export { audit } from './core/audit.ts';
export { requireApp } from './core/app-service.ts';
// The one allow-list of names (apps, process types, …), and reading a file of pushed source safely.
export { assertName, isValidName, isValidProcessType } from './core/names.ts';
export { readSourceFile } from './build/source-files.ts';

// API routes: declare() names the action a route needs; the authorize hook decides.
export { declare, appResource, serverResource, type RouteDeclaration } from './http/api/route-table.ts';
export { readJson, readForm } from './http/json-body.ts';

// UI pages: sessions, the same authorize hook, CSRF-checked forms, rendering with the layout.
export { requireSession, seeOther, type UiSession } from './http/ui/session.ts';
export { authorizeApp, authorizeCluster, authorizeServer, mayOnApp, mayOnCluster } from './http/ui/authorize.ts';
export { readCheckedForm } from './http/ui/csrf.ts';
export { view, appTabs, flash } from './http/ui/view.ts';
