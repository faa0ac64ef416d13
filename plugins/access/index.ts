// Authentication with API tokens (Bearer, or the password of git's Basic auth) and UI sessions,
// and authorisation. Until per-app roles exist, admins may do everything and nobody else anything.
import type { Plugin } from '../../server/core/scalarium.ts';
import { findSession, principalForToken } from '../../server/db/identity.ts';

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
    scalarium.hooks.authorize.tapPromise(NAME, async (principal) => (principal.user.admin ? true : undefined));
  },
};

export default accessPlugin;
