// Where a drain may connect: core's outbound policy (private, loopback and link-local ranges
// refused unless the operator allows them with SCALARIUM_OUTBOUND_ALLOW; this server's and its
// routers' own endpoints always). Checked when a drain is added, and again before every
// connection, which then goes to the addresses that passed: no second lookup a rebinding DNS
// server could answer differently.
import dns from 'node:dns';
import net from 'node:net';
import { isBlockedAddress, OutboundError, vetOutboundUrl, type OutboundPolicy } from '../../server/plugin-api.ts';

const ALLOW_HINT = 'an operator can allow a range with SCALARIUM_OUTBOUND_ALLOW';

/** Why a drain cannot connect; the message is meant for people and names no credentials. */
export class DrainAddressError extends Error {}

function article(reason: string): string {
  return reason === "this host's own address" ? reason : `${/^[aeiou]/.test(reason) ? 'an' : 'a'} ${reason} address`;
}

/** The addresses `host` may be reached at on `port`, all of them vetted; throws DrainAddressError. */
export async function vettedAddresses(host: string, port: number, policy: OutboundPolicy): Promise<dns.LookupAddress[]> {
  const literal = net.isIP(host);
  let addresses: dns.LookupAddress[];
  if (literal) addresses = [{ address: host, family: literal }];
  else {
    try {
      addresses = await dns.promises.lookup(host, { all: true, verbatim: true });
    } catch (error) {
      throw new DrainAddressError(`the host name ${host.slice(0, 100)} does not resolve (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    if (!addresses.length) throw new DrainAddressError(`the host name ${host.slice(0, 100)} has no addresses`);
  }
  for (const { address } of addresses) {
    const subject = literal ? address : `${host.slice(0, 100)} resolves to ${address}, which`;
    const reason = isBlockedAddress(address, policy);
    if (reason) throw new DrainAddressError(`${subject} is ${article(reason)} (${ALLOW_HINT})`);
    // Core's check of an IP literal is the one place that knows the server's own endpoints.
    const probe = new URL(`https://${address.includes(':') ? `[${address}]` : address}:${port}/`).href;
    try {
      await vetOutboundUrl(probe, policy);
    } catch (error) {
      if (!(error instanceof OutboundError)) throw error;
      throw new DrainAddressError(error.message.replace(`refused to fetch ${probe}: `, ''));
    }
  }
  return addresses;
}
