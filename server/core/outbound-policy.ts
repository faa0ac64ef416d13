// The outbound policy of this server: private and loopback ranges refused unless the operator
// allows them (SCALARIUM_OUTBOUND_ALLOW), and this server's and its routers' own ports always.
import type { Scalarium } from './scalarium.ts';
import { outboundPolicyFromEnv, type OutboundPolicy } from '../net/outbound.ts';

export function outboundPolicy(scalarium: Scalarium): OutboundPolicy {
  const self: OutboundPolicy['self'] = [{ host: scalarium.config.host, port: scalarium.config.port }];
  if (scalarium.baseUrl) self.push({ host: scalarium.config.host, port: Number(new URL(scalarium.baseUrl).port) });
  self.push({ host: scalarium.config.routerHost, port: scalarium.config.routerPort });
  for (const router of scalarium.hub.connectedPeers('router')) if (router.port) self.push({ host: scalarium.config.routerHost, port: router.port });
  return outboundPolicyFromEnv(process.env, self.filter((s) => s.port > 0));
}
