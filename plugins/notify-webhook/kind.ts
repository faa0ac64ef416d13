// The webhook notifier kind: `--webhook URL [--format slack|json]`. Built from the outbound policy
// (read anew for each use: the server's own endpoints are known once it listens, routers come and
// go) and a timeout, so that a test can give its own.
import type { AlertNotification, NotifierKind, OutboundPolicy } from '../../server/plugin-api.ts';
import { isFormat, webhookBody } from './format.ts';
import { postJson } from './pinned-post.ts';
import { webhookSettings } from './settings.ts';
import { shownUrl } from './shown-url.ts';

/** Long enough for a slow chat service, short enough that a hung one fails the attempt and alerting retries. */
export const WEBHOOK_TIMEOUT_MS = 10_000;

export interface WebhookKindOptions {
  policy: () => OutboundPolicy;
  timeoutMs?: number;
}

export function webhookKind(options: WebhookKindOptions): NotifierKind {
  const timeoutMs = options.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
  return {
    kind: 'webhook',
    help: '--webhook URL [--format slack|json]',
    settings: (input) => webhookSettings(input, options.policy()),
    describe: (settings) => `${shownUrl(settings.url ?? '')} (${settings.format ?? 'slack'})`,
    async send(settings: Record<string, string>, notification: AlertNotification, signal: AbortSignal) {
      const format = settings.format ?? 'slack';
      if (!isFormat(format) || !URL.canParse(settings.url ?? '')) throw new Error('this webhook notifier\'s settings are not valid: add it again');
      await postJson(new URL(settings.url), webhookBody(format, notification), { policy: options.policy(), timeoutMs, signal });
    },
  };
}
