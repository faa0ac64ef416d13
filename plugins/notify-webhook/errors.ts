// The errors a user can meet adding a webhook notifier (`scalarium notifiers:add NAME --webhook URL`).
import { pluginError } from '../../server/plugin-api.ts';

const PLUGIN = 'notify-webhook';

export const invalidWebhook = pluginError(PLUGIN, 'invalid_webhook', {
  status: 400,
  message: (p) => `--webhook ${p.reason}.`,
  hint: () => 'Give the http(s) URL your chat or incident service made for incoming webhooks, e.g. --webhook https://hooks.slack.com/services/T000/B000/XXXX.',
});

export const refusedWebhook = pluginError(PLUGIN, 'refused_webhook', {
  status: 400,
  message: (p) => `This server does not send to ${p.shown}: ${p.reason}.`,
  hint: () => 'Check the host of the URL. A webhook on this machine or a private network is refused unless an operator allows its range (SCALARIUM_OUTBOUND_ALLOW=10.0.0.0/8 in the server\'s environment).',
});

export const invalidFormat = pluginError(PLUGIN, 'invalid_format', {
  status: 400,
  message: (p) => `--format ${p.value} is not a webhook format.`,
  hint: () => 'Use --format slack (a {"text": …} message, for Slack, Mattermost, Rocket.Chat, Discord\'s /slack URL) or --format json (the whole alert as JSON).',
});
