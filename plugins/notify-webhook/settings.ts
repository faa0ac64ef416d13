// What `scalarium notifiers:add NAME --webhook URL [--format slack|json]` gives, checked: an
// http(s) URL without user:password@ that the server's outbound policy lets it send to. What is
// kept is { url, format }; alerting seals it at rest, since the URL is the secret.
import type { OutboundPolicy } from '../../server/plugin-api.ts';
import { invalidFormat, invalidWebhook, refusedWebhook } from './errors.ts';
import { isFormat } from './format.ts';
import { checkWebhookHost, RefusedAddress } from './outbound-check.ts';
import { shownUrl } from './shown-url.ts';

const MAX_URL_LENGTH = 2000;

export async function webhookSettings(input: Record<string, unknown>, policy: OutboundPolicy): Promise<Record<string, string>> {
  const format = input.format ?? 'slack';
  if (!isFormat(format)) throw invalidFormat({ value: JSON.stringify(String(format)).slice(0, 40) });
  const url = parseWebhookUrl(input.webhook);
  try {
    await checkWebhookHost(url, policy);
  } catch (error) {
    if (error instanceof RefusedAddress) throw refusedWebhook({ shown: shownUrl(url), reason: error.message });
    throw error;
  }
  url.hash = ''; // never sent anyway
  return { url: url.href, format };
}

function parseWebhookUrl(value: unknown): URL {
  if (typeof value !== 'string' || !value.trim()) throw invalidWebhook({ reason: 'needs a URL' });
  if (value.length > MAX_URL_LENGTH) throw invalidWebhook({ reason: `is longer than ${MAX_URL_LENGTH} characters` });
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw invalidWebhook({ reason: 'is not a valid URL' });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalidWebhook({ reason: `must be an http or https URL, not ${url.protocol.slice(0, 20)}` });
  // Core's outbound policy refuses credentials in a URL; say so before resolving anything.
  if (url.username || url.password) throw invalidWebhook({ reason: 'must not contain a user name or password (user:password@)' });
  return url;
}
