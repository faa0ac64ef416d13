// Webhook notifications of alerts: Slack-compatible ({"text": …}) or the whole alert as JSON, posted
// under the server's outbound policy. One kind in the notifier registry (hooks.notifierKinds);
// docs/notifiers.md describes the messages and how to write a notifier of one's own.
import { outboundPolicy, type Plugin } from '../../server/plugin-api.ts';
import { webhookKind } from './kind.ts';

const NAME = 'notify-webhook';

export const notifyWebhookPlugin: Plugin = {
  name: NAME,
  apply(scalarium) {
    const kind = webhookKind({ policy: () => outboundPolicy(scalarium) });
    scalarium.hooks.notifierKinds.tap(NAME, (kinds) => [...kinds, kind]);
  },
};

export default notifyWebhookPlugin;
