// One POST of a JSON body to a webhook, connected only to addresses the outbound policy passed
// (outbound-check.ts): the host name stays in the URL (Host header, TLS SNI and certificate check),
// only the address lookup is answered from what was vetted. No redirects are followed (a webhook
// that moved answers 3xx, which fails like any non-2xx), and nothing of the answer is read: its
// status is what counts, and a response body never reaches an error message.
import type dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { pinnedLookup, type OutboundPolicy } from '../../server/plugin-api.ts';
import { vettedAddresses } from './outbound-check.ts';
import { shownUrl } from './shown-url.ts';

export interface PostOptions {
  policy: OutboundPolicy;
  /** Everything (DNS, connecting, TLS, the answer's status line) must be done by then. */
  timeoutMs: number;
  /** The caller's abort (alerting's own deadline, the server stopping): the request ends at once. */
  signal: AbortSignal;
}

/** Resolves once the webhook answered 2xx; throws, saying why, otherwise. */
export async function postJson(url: URL, body: string, options: PostOptions): Promise<void> {
  const shown = `webhook ${shownUrl(url)}`;
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new Error(`${shown} did not answer within ${options.timeoutMs / 1000} s`)), options.timeoutMs);
  const signal = AbortSignal.any([options.signal, deadline.signal]);
  try {
    const addresses = await vettedAddresses(url, options.policy, signal).catch((error: Error) => {
      throw signal.aborted ? signal.reason : new Error(`refused to send to ${shown}: ${error.message}`);
    });
    const status = await post(url, addresses, body, signal).catch((error: Error) => {
      throw signal.aborted ? signal.reason : new Error(`could not send to ${shown}: ${error.message}`);
    });
    if (status < 200 || status >= 300) throw new Error(`${shown} answered HTTP ${status}`);
  } finally {
    clearTimeout(timer);
  }
}

function post(url: URL, addresses: dns.LookupAddress[], body: string, signal: AbortSignal): Promise<number> {
  return new Promise((resolve, reject) => {
    signal.throwIfAborted();
    const lookup = pinnedLookup(addresses);
    const headers = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'scalarium' };
    // agent: false: a fresh socket, closed afterwards (a pooled one may be connected elsewhere).
    const client = url.protocol === 'https:' ? https : http;
    const req = client.request(url, { method: 'POST', headers, agent: false, lookup }, (res) => {
      resolve(res.statusCode ?? 0);
      res.destroy(); // the answer's body is not needed: the socket goes now
    });
    const onAbort = () => req.destroy(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    req.on('close', () => signal.removeEventListener('abort', onAbort));
    req.on('error', reject);
    req.end(body);
  });
}
