// How a webhook URL may be shown (the notifier list, the UI, errors, the alert history): its scheme
// and host only. Incoming-webhook services put the secret in the path (Slack's /services/T…/B…/XXXX)
// or the query, and anyone who has the URL can post to the channel.

export function shownUrl(url: string | URL): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}/…`;
  } catch {
    return '(not a URL)';
  }
}
