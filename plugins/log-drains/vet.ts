// Where a drain may connect: core's outbound policy (private, loopback and link-local ranges
// refused unless the operator allows them with SCALARIUM_OUTBOUND_ALLOW; this server's and its
// routers' own endpoints always). Checked when a drain is added, and again before every
// connection, which then goes to the addresses that passed: no second lookup a rebinding DNS
// server could answer differently.
import type dns from 'node:dns';
import { OutboundError, vettedAddresses as vetted, type OutboundPolicy } from '../../server/plugin-api.ts';

/** Why a drain cannot connect; the message is meant for people and names no credentials. */
export class DrainAddressError extends Error {}

/** The addresses `host` may be reached at on `port`, all of them vetted; throws DrainAddressError. */
export async function vettedAddresses(host: string, port: number, policy: OutboundPolicy): Promise<dns.LookupAddress[]> {
  try {
    return await vetted(host, port, policy);
  } catch (error) {
    if (error instanceof OutboundError) throw new DrainAddressError(error.message);
    throw error;
  }
}
