// The errors a user can meet adding an email notifier (`scalarium notifiers:add NAME --email ADDRESS`).
import { pluginError } from '../../server/plugin-api.ts';

const PLUGIN = 'notify-email';

export const invalidEmail = pluginError(PLUGIN, 'invalid_email', {
  status: 400,
  message: (p) => `--email ${p.reason}.`,
  hint: (p) => `Give one address or several separated by commas (at most ${p.max}), e.g. --email ops@example.org,oncall@example.org.`,
});

export const smtpNotConfigured = pluginError(PLUGIN, 'smtp_not_configured', {
  status: 400,
  message: (p) => `This server cannot send email: ${p.missing} ${String(p.missing).includes(' and ') ? 'are' : 'is'} not set.`,
  hint: () => 'An operator sets SCALARIUM_SMTP_URL (e.g. smtp://user:pass@mail.example.org:587, or smtps://…:465) and SCALARIUM_SMTP_FROM (e.g. "Scalarium <alerts@example.org>") in the server\'s environment and restarts it.',
});
