// syslog:// and syslog+tls://: one long-lived TCP (or TLS) connection per drain, RFC 5424 messages
// framed by octet counting. A batch counts as sent once the kernel took its bytes; a write that does
// not get there within the timeout (a receiver that stopped reading) fails the batch, and the
// connection is dropped so that the next attempt starts afresh.
import net from 'node:net';
import tls from 'node:tls';
import { pinnedLookup } from '../../../server/plugin-api.ts';
import type { DrainTarget } from '../drain-url.ts';
import type { DrainMessage } from '../message.ts';
import { syslogFrames } from '../frames.ts';
import { vettedAddresses } from '../vet.ts';
import type { Transport, TransportOptions } from './transport.ts';

export type SyslogOptions = TransportOptions;

export class SyslogTransport implements Transport {
  readonly maxBatchMessages = 2000;
  readonly maxBatchBytes = 256 * 1024;
  private socket: net.Socket | undefined;

  constructor(private readonly target: DrainTarget, private readonly options: SyslogOptions) {}

  get connected(): boolean {
    return Boolean(this.socket && !this.socket.destroyed && this.socket.writable);
  }

  async send(batch: DrainMessage[]): Promise<void> {
    const socket = this.connected ? this.socket! : await this.connect();
    await this.write(socket, syslogFrames(batch, this.options.hostname));
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  private async connect(): Promise<net.Socket> {
    this.close();
    const { host, port } = this.target;
    const addresses = await vettedAddresses(host, port, this.options.policy());
    // The name stays the host (for SNI and the certificate check); only its lookup is pinned.
    const lookup = pinnedLookup(addresses);
    const socket = this.target.kind === 'syslog+tls'
      ? tls.connect({ host, port, lookup, ca: this.options.ca, ...(net.isIP(host) ? {} : { servername: host }) })
      : net.connect({ host, port, lookup });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.resume(); // a receiver has nothing to say; what it sends is read and dropped
    socket.on('error', () => socket.destroy());
    // The receiver closed its side: nothing written from now on would arrive.
    socket.on('end', () => socket.destroy());
    socket.on('close', () => {
      if (this.socket === socket) this.socket = undefined;
    });
    await new Promise<void>((resolve, reject) => {
      const ready = this.target.kind === 'syslog+tls' ? 'secureConnect' : 'connect';
      const timer = setTimeout(() => socket.destroy(new Error(`no connection within ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
      const done = (error?: Error) => {
        clearTimeout(timer);
        socket.off(ready, onReady);
        socket.off('close', onClose);
        if (error) reject(error);
        else resolve();
      };
      const onReady = () => done();
      const onClose = () => done(socketError ?? new Error('the connection closed before it was ready'));
      let socketError: Error | undefined;
      socket.once('error', (error) => { socketError = error; });
      socket.once(ready, onReady);
      socket.once('close', onClose);
    });
    return socket;
  }

  private write(socket: net.Socket, data: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (error?: Error | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.off('close', onClose);
        if (error) reject(error);
        else resolve();
      };
      const onClose = () => settle(new Error('the connection closed'));
      const timer = setTimeout(() => {
        settle(new Error(`the receiver took nothing for ${this.options.timeoutMs} ms (it does not read)`));
        socket.destroy();
      }, this.options.timeoutMs);
      socket.once('close', onClose);
      socket.write(data, (error) => settle(error));
    });
  }
}
