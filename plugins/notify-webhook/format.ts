// The bodies a webhook receives. slack: {"text": …}, which Slack's incoming webhooks take and so do
// the services that copied them (Mattermost, Rocket.Chat, Discord's …/slack URL). json: the whole
// AlertNotification, for receivers of one's own.
import type { AlertNotification } from '../../server/plugin-api.ts';

export const FORMATS = ['slack', 'json'] as const;
export type WebhookFormat = (typeof FORMATS)[number];

export const isFormat = (value: unknown): value is WebhookFormat => FORMATS.includes(value as WebhookFormat);

/** Slack reads &, < and > as markup (<!channel>, <url|label>): in plain text they must be entities. */
function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** "<title>\n<text>", and the alert's page when the text does not link to it already. */
export function slackText(n: AlertNotification): string {
  const lines = [n.title, n.text];
  if (n.url && !n.text.includes(n.url)) lines.push(n.url);
  return slackEscape(lines.join('\n'));
}

export function webhookBody(format: WebhookFormat, n: AlertNotification): string {
  return JSON.stringify(format === 'slack' ? { text: slackText(n) } : n);
}
