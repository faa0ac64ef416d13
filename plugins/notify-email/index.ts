// Email notifications of alerts, through the SMTP server the operator names in the server's
// environment (SCALARIUM_SMTP_URL, SCALARIUM_SMTP_FROM). One kind in the notifier registry
// (hooks.notifierKinds); docs/notifiers.md describes the mail and the settings.
import type { Plugin } from '../../server/plugin-api.ts';
import { emailKind } from './kind.ts';
import { smtpSetupFromEnv } from './smtp-config.ts';

const NAME = 'notify-email';

export const notifyEmailPlugin: Plugin = {
  name: NAME,
  apply(scalarium) {
    // Read once, at start: a wrong value stops the server with a message, not an alert later.
    const kind = emailKind({ smtp: smtpSetupFromEnv(process.env) });
    scalarium.hooks.notifierKinds.tap(NAME, (kinds) => [...kinds, kind]);
  },
};

export default notifyEmailPlugin;
