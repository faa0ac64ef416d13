// https:// drains: each batch is one POST, as Heroku's HTTPS drains send them — a body of
// octet-counted RFC 5424 frames (`Content-Type: application/logplex-1`, with Logplex-Msg-Count,
// Logplex-Frame-Id and Logplex-Drain-Token), or JSON lines (`application/x-ndjson`). Only a 2xx
// answer delivers the batch; anything else, and no answer within the timeout, sends it again later.
// Redirects are not followed. Credentials in the URL go as HTTP Basic authentication.
import crypto from 'node:crypto';
import https from 'node:https';
import { pinnedLookup } from '../../../server/plugin-api.ts';
import type { DrainTarget } from '../drain-url.ts';
import type { DrainMessage } from '../message.ts';
import { jsonLines, syslogFrames } from '../frames.ts';
import { vettedAddresses } from '../vet.ts';
import type { Transport, TransportOptions } from './transport.ts';

export interface HttpsOptions extends TransportOptions {
  /** The drain's token (d.…): the Logplex-Drain-Token header. */
  token: string;
}

export class HttpsTransport implements Transport {
  readonly maxBatchMessages = 500;
  readonly maxBatchBytes = 1024 * 1024;
  // One keep-alive connection per drain: a slow drain holds only its own socket.
  private readonly agent: https.Agent;
  private readonly endpoint: URL;
  private readonly authorization: string | undefined;

  constructor(private readonly target: DrainTarget, private readonly options: HttpsOptions) {
    this.agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: options.ca });
    const url = new URL(target.url);
    this.authorization = url.username || url.password
      ? `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`
      : undefined;
    url.username = '';
    url.password = '';
    this.endpoint = url;
  }

  async send(batch: DrainMessage[]): Promise<void> {
    const addresses = await vettedAddresses(this.target.host, this.target.port, this.options.policy());
    const logplex = this.target.format === 'logplex';
    const body = logplex ? syslogFrames(batch, this.options.hostname) : jsonLines(batch, this.options.hostname);
    const headers: Record<string, string> = {
      'content-type': logplex ? 'application/logplex-1' : 'application/x-ndjson',
      'content-length': String(body.length),
      'user-agent': 'scalarium-log-drains',
      ...(logplex
        ? { 'logplex-msg-count': String(batch.length), 'logplex-frame-id': crypto.randomUUID(), 'logplex-drain-token': this.options.token }
        : { 'scalarium-msg-count': String(batch.length), 'scalarium-drain-token': this.options.token }),
      ...(this.authorization ? { authorization: this.authorization } : {}),
    };
    // A new connection goes to the addresses just vetted; the host name is kept for SNI and the certificate.
    const lookup = pinnedLookup(addresses);
    await new Promise<void>((resolve, reject) => {
      const req = https.request(this.endpoint, { method: 'POST', agent: this.agent, headers, lookup }, (res) => {
        res.resume(); // the answer's body is never shown: it could be anything
        res.on('end', () => {
          clearTimeout(timer);
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve();
          else reject(new Error(`the drain answered HTTP ${status}${status >= 300 && status < 400 ? ' (drains do not follow redirects)' : ''}`));
        });
        res.on('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
      });
      const timer = setTimeout(() => req.destroy(new Error(`no answer within ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
      req.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
