// The server's outbound policy applied to a webhook (private and loopback ranges refused unless the
// operator allows them, never this server's or its routers' own endpoints). Only scheme, host and
// port decide, so core's check is given the origin alone: its messages then hold no secret path.
// At send time the host is resolved here and every address is checked before it is connected to,
// and the socket is pinned to those addresses (pinned-post.ts): a name that resolved to a public
// address when the notifier was added and to 127.0.0.1 now (DNS rebinding) is refused.
import type dns from 'node:dns';
import { OutboundError, vetOutboundUrl, vettedAddresses as vetted, type OutboundPolicy } from '../../server/plugin-api.ts';

/** A refusal of the policy, in words for the user (no URL path in them). */
export class RefusedAddress extends Error {
  override name = 'RefusedAddress';
}

export const portOf = (url: URL) => (url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80);

/** Core's verdict on scheme + host + port; a refusal becomes a RefusedAddress with core's reason. */
async function vetOrigin(origin: string, policy: OutboundPolicy): Promise<void> {
  const href = `${origin}/`;
  try {
    await vetOutboundUrl(href, policy);
  } catch (error) {
    if (!(error instanceof OutboundError)) throw error;
    // "refused to fetch http://h/: <reason>" → "<reason>"
    throw new RefusedAddress(error.message.replace(/^(refused to|could not) fetch \S+: /, ''));
  }
}

/** When the notifier is added: the host as it resolves now (a name that does not resolve is refused too). */
export async function checkWebhookHost(url: URL, policy: OutboundPolicy): Promise<void> {
  await vetOrigin(`${url.protocol}//${url.host}`, policy);
}

/** When sending: the addresses to connect to, each one checked; one refused address refuses the name. */
export async function vettedAddresses(url: URL, policy: OutboundPolicy, signal: AbortSignal): Promise<dns.LookupAddress[]> {
  try {
    return await vetted(url.hostname, portOf(url), policy, signal);
  } catch (error) {
    if (error instanceof OutboundError && /^the host name /.test(error.message)) throw new Error(error.message); // not a refusal: retried
    if (error instanceof OutboundError) throw new RefusedAddress(error.message);
    throw error;
  }
}
