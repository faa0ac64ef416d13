// The server's outbound policy applied to a webhook (private and loopback ranges refused unless the
// operator allows them, never this server's or its routers' own endpoints). Only scheme, host and
// port decide, so core's check is given the origin alone: its messages then hold no secret path.
// At send time the host is resolved here and every address is checked before it is connected to,
// and the socket is pinned to those addresses (pinned-post.ts): a name that resolved to a public
// address when the notifier was added and to 127.0.0.1 now (DNS rebinding) is refused.
import dns from 'node:dns';
import net from 'node:net';
import { OutboundError, vetOutboundUrl, type OutboundPolicy } from '../../server/plugin-api.ts';

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
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const literal = net.isIP(host);
  const addresses = literal ? [{ address: host, family: literal }] : await resolve(host, signal);
  for (const { address } of addresses) {
    const origin = `${url.protocol}//${address.includes(':') ? `[${address}]` : address}:${portOf(url)}`;
    await vetOrigin(origin, policy).catch((error: Error) => {
      if (literal || !(error instanceof RefusedAddress)) throw error;
      const reason = error.message.startsWith(`${address} is `) ? `, which${error.message.slice(address.length)}` : `: ${error.message}`;
      throw new RefusedAddress(`${host} resolves to ${address}${reason}`);
    });
  }
  return addresses;
}

async function resolve(host: string, signal: AbortSignal): Promise<dns.LookupAddress[]> {
  signal.throwIfAborted();
  // dns.lookup cannot be cancelled: the race lets an abort win at once, the lookup ends by itself.
  let onAbort = () => {};
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const addresses = await Promise.race([dns.promises.lookup(host, { all: true, verbatim: true }), aborted]);
    if (!addresses.length) throw new RefusedAddress(`the host name ${host} has no addresses`);
    return addresses;
  } catch (error) {
    if (signal.aborted || error instanceof RefusedAddress) throw error;
    throw new Error(`the host name ${host} does not resolve (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
