// The email notifier kind: `--email ADDRESS[,ADDRESS…]`, sent through the server's SMTP settings
// (smtp-config.ts). Built from those settings and the timeouts, so that a test can give its own.
import type { AlertNotification, NotifierKind } from '../../server/plugin-api.ts';
import { alertMail } from './message.ts';
import { MAIL_TIMEOUTS, sendMail, type MailTimeouts } from './send-mail.ts';
import { emailSettings } from './settings.ts';
import { smtpNotConfigured } from './errors.ts';
import type { SmtpSetup } from './smtp-config.ts';

export interface EmailKindOptions {
  smtp: SmtpSetup;
  timeouts?: MailTimeouts;
}

export function emailKind(options: EmailKindOptions): NotifierKind {
  const { smtp } = options;
  return {
    kind: 'email',
    help: '--email ADDRESS[,ADDRESS…]',
    settings: (input) => emailSettings(input, smtp),
    describe: (settings) => settings.to ?? '(no address)',
    async send(settings: Record<string, string>, notification: AlertNotification, signal: AbortSignal) {
      if (!smtp.config) throw smtpNotConfigured({ missing: smtp.missing.join(' and ') });
      if (!settings.to) throw new Error('this email notifier has no address: add it again');
      await sendMail(smtp.config, settings.to, alertMail(notification), options.timeouts ?? MAIL_TIMEOUTS, signal);
    },
  };
}
