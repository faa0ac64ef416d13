// Access & rights: authentication (API tokens — Bearer, or the password of git's Basic auth — and UI
// sessions), authorisation by role per app and cluster, and the API to manage users, grants,
// tokens, SSH keys and to read the audit log.
import type { Plugin } from '../../server/core/scalarium.ts';
import { findSession, principalForToken } from '../../server/db/identity.ts';
import { decide } from './policy.ts';
import { userRoutes } from './routes/users.ts';
import { grantRoutes } from './routes/grants.ts';
import { tokenRoutes } from './routes/tokens.ts';
import { keyRoutes } from './routes/keys.ts';
import { auditRoutes } from './routes/audit.ts';

const NAME = 'access';

export const accessPlugin: Plugin = {
  name: NAME,
  apply(scalarium) {
    scalarium.hooks.authenticate.tapPromise(NAME, async (credentials) => {
      if (credentials.token) return principalForToken(scalarium.db, credentials.token);
      if (credentials.sessionId) {
        const session = await findSession(scalarium.db, credentials.sessionId);
        return session ? { user: session.user, tokenName: 'ui-session' } : undefined;
      }
      return undefined;
    });
    scalarium.hooks.authorize.tapPromise(NAME, (principal, action, resource) => decide(scalarium.db, principal, action, resource));
    scalarium.hooks.routes.tap(NAME, (router) => {
      for (const add of [userRoutes, grantRoutes, tokenRoutes, keyRoutes, auditRoutes]) add(scalarium, router);
    });
  },
};

export default accessPlugin;
