// Access & rights: authentication (API tokens — Bearer, or the password of git's Basic auth — and UI
// sessions), authorisation by role per app and cluster, the API to manage users, grants, tokens and
// SSH keys and to read the audit log, and the UI pages for the same (log-in, invite, users, account,
// audit; templates in ./templates).
import { fileURLToPath } from 'node:url';
import { type Plugin, findSession, principalForToken, UI_SESSION } from '../../server/plugin-api.ts';
import { decide, explain } from './policy.ts';
import { deleteGrantsOn } from './db/grants.ts';
import { accountsForCluster } from './db/ssh-keys.ts';
import * as createAccessTables from './migrations/001-access-tables.ts';
import { userRoutes } from './routes/users.ts';
import { grantRoutes } from './routes/grants.ts';
import { tokenRoutes } from './routes/tokens.ts';
import { keyRoutes } from './routes/keys.ts';
import { auditRoutes } from './routes/audit.ts';
import { loginRoutes } from './ui/login.ts';
import { inviteRoutes } from './ui/invite.ts';
import { usersPageRoutes } from './ui/users-page.ts';
import { auditPageRoutes } from './ui/audit-page.ts';
import { accountPageRoutes } from './ui/account-page.ts';

const NAME = 'access';

export const accessPlugin: Plugin = {
  name: NAME,
  migrations: [['001-access-tables', createAccessTables]],
  apply(scalarium) {
    scalarium.hooks.authenticate.tapPromise(NAME, async (credentials) => {
      if (credentials.token) return principalForToken(scalarium.db, credentials.token);
      if (credentials.sessionId) {
        const session = await findSession(scalarium.db, credentials.sessionId);
        return session ? { user: session.user, tokenName: UI_SESSION } : undefined;
      }
      return undefined;
    });
    scalarium.hooks.authorize.tapPromise(NAME, (principal, action, resource) => decide(scalarium.db, principal, action, resource));
    scalarium.hooks.whyDenied.tapPromise(NAME, (principal, action, resource) => explain(scalarium.db, principal, action, resource));
    // Grants are by name: a new app or cluster of a destroyed one's name must not inherit them.
    scalarium.hooks.destroyed.tapPromise(NAME, (gone) => deleteGrantsOn(scalarium.db, gone));
    scalarium.hooks.instanceAccounts.tapPromise(NAME, async (accounts, cluster) => [...accounts, ...(await accountsForCluster(scalarium.db, cluster.name))]);
    scalarium.hooks.routes.tap(NAME, (router) => {
      for (const add of [userRoutes, grantRoutes, tokenRoutes, keyRoutes, auditRoutes]) add(scalarium, router);
    });

    scalarium.templates.add(NAME, fileURLToPath(new URL('./templates/', import.meta.url)));
    scalarium.hooks.pages.tap(NAME, (router) => {
      for (const add of [loginRoutes, inviteRoutes, usersPageRoutes, auditPageRoutes, accountPageRoutes]) add(scalarium, router);
    });
    // Users and Audit only for admins (the pages check again); everyone has an account page.
    scalarium.hooks.nav.tap(NAME, (items, viewer) => [
      ...items,
      ...(viewer.admin ? [{ href: '/users', label: 'Users' }, { href: '/audit', label: 'Audit' }] : []),
      { href: '/account', label: 'Account' },
    ]);
  },
};

export default accessPlugin;
