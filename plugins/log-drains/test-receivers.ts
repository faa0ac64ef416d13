// Drain receivers for the tests, real servers on loopback: a syslog receiver (TCP or TLS) that parses
// RFC 5424 octet-counted frames, an HTTPS receiver of logplex and NDJSON batches, and a throwaway
// certificate authority made with the openssl CLI. Not a test file itself (ava runs *.test.ts).
import { execFile } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** 127.0.0.2 plays a host on the internet: the test server allows it (SCALARIUM_OUTBOUND_ALLOW). */
export const DRAIN_HOST = '127.0.0.2';

export interface Syslog5424 { pri: number; version: number; timestamp: string; hostname: string; app: string; procid: string; msgid: string; sd: string; msg: string }

/** One RFC 5424 message, strictly: the test fails on anything else. */
export function parse5424(frame: string): Syslog5424 {
  const match = /^<(\d{1,3})>(\d) (\S+) (\S+) (\S+) (\S+) (\S+) (-|\[.*?\]) (.*)$/s.exec(frame);
  if (!match) throw new Error(`not an RFC 5424 message: ${JSON.stringify(frame.slice(0, 200))}`);
  const [, pri, version, timestamp, hostname, app, procid, msgid, sd, msg] = match;
  return { pri: Number(pri), version: Number(version), timestamp: timestamp!, hostname: hostname!, app: app!, procid: procid!, msgid: msgid!, sd: sd!, msg: msg! };
}

/** Octet-counted frames (`LEN SP FRAME`…) out of a byte stream, as they complete; the rest waits. */
export class OctetCountedParser {
  private pending = Buffer.alloc(0);

  push(chunk: Buffer): string[] {
    this.pending = Buffer.concat([this.pending, chunk]);
    const frames: string[] = [];
    for (;;) {
      const space = this.pending.indexOf(0x20);
      if (space < 0) break;
      const length = this.pending.subarray(0, space).toString('ascii');
      if (!/^[1-9]\d{0,8}$/.test(length)) throw new Error(`bad octet count ${JSON.stringify(length.slice(0, 20))}`);
      const end = space + 1 + Number(length);
      if (this.pending.length < end) break;
      frames.push(this.pending.subarray(space + 1, end).toString('utf8'));
      this.pending = this.pending.subarray(end);
    }
    return frames;
  }
}

/** Messages as they arrive; `until(n)` resolves once n have. */
class Inbox extends EventEmitter {
  readonly messages: Syslog5424[] = [];
  add(message: Syslog5424): void {
    this.messages.push(message);
    this.emit('message');
  }
  until(count: number, what = `${count} messages`, timeoutMs = 20_000): Promise<Syslog5424[]> {
    if (this.messages.length >= count) return Promise.resolve(this.messages);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('message', check);
        reject(new Error(`timed out waiting for ${what}: ${this.messages.length} arrived`));
      }, timeoutMs);
      const check = () => {
        if (this.messages.length < count) return;
        clearTimeout(timer);
        this.off('message', check);
        resolve(this.messages);
      };
      this.on('message', check);
    });
  }
}

export interface SyslogReceiver extends Inbox {
  port: number;
  url: string;
  /** Closes the listener and every connection; `start()` listens again on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  connections: number;
}

/** A syslog receiver; `tlsOptions` makes it syslog+tls; `read: false` accepts connections and never reads. */
export async function syslogReceiver(options: { tls?: tls.TlsOptions; read?: boolean } = {}): Promise<SyslogReceiver> {
  const inbox = new Inbox() as SyslogReceiver;
  const sockets = new Set<net.Socket>();
  inbox.connections = 0;
  const onConnection = (socket: net.Socket) => {
    inbox.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    if (options.read === false) return socket.pause();
    const parser = new OctetCountedParser();
    socket.on('data', (chunk: Buffer) => {
      for (const frame of parser.push(chunk)) inbox.add(parse5424(frame));
    });
  };
  let server: net.Server;
  const listen = (port: number) => new Promise<number>((resolve, reject) => {
    server = options.tls ? tls.createServer(options.tls, onConnection) : net.createServer({ pauseOnConnect: options.read === false }, onConnection);
    server.once('error', reject);
    server.listen(port, DRAIN_HOST, () => resolve((server.address() as net.AddressInfo).port));
  });
  inbox.port = await listen(0);
  inbox.url = `${options.tls ? 'syslog+tls' : 'syslog'}://${DRAIN_HOST}:${inbox.port}`;
  inbox.stop = () => new Promise((resolve) => {
    for (const socket of sockets) socket.destroy();
    server.close(() => resolve());
  });
  inbox.start = async () => {
    await listen(inbox.port);
  };
  return inbox;
}

export interface HttpsBatch { headers: Record<string, string | string[] | undefined>; body: string }

export interface HttpsReceiver extends Inbox {
  port: number;
  url: string;
  batches: HttpsBatch[];
  /** JSON lines as they arrived (json drains). */
  lines: Array<Record<string, string>>;
  /** What to answer: 200, 500… */
  status: number;
  stop(): Promise<void>;
}

/** An HTTPS drain receiver of logplex frames and NDJSON lines; it answers `status` to every POST. */
export async function httpsReceiver(cert: { key: string; cert: string }): Promise<HttpsReceiver> {
  const inbox = new Inbox() as HttpsReceiver;
  inbox.batches = [];
  inbox.lines = [];
  inbox.status = 200;
  const server = https.createServer(cert, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (inbox.status >= 200 && inbox.status < 300) {
        inbox.batches.push({ headers: req.headers, body });
        if (req.headers['content-type'] === 'application/logplex-1') {
          const frames = new OctetCountedParser().push(Buffer.from(body));
          for (const frame of frames) inbox.add(parse5424(frame));
        } else {
          for (const line of body.split('\n').filter(Boolean)) {
            const object = JSON.parse(line) as Record<string, string>;
            inbox.lines.push(object);
            // In the same shape as a syslog message, so tests compare both alike.
            inbox.add({ pri: 0, version: 0, timestamp: object.at!, hostname: object.host!, app: object.app!, procid: object.source!, msgid: '-', sd: '-', msg: object.line! });
          }
        }
      }
      res.writeHead(inbox.status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, DRAIN_HOST, resolve));
  inbox.port = (server.address() as net.AddressInfo).port;
  inbox.url = `https://${DRAIN_HOST}:${inbox.port}/logs`;
  inbox.stop = () => new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  return inbox;
}

export interface TestCertificate { dir: string; caFile: string; key: string; cert: string; remove(): void }

/** A self-signed certificate for DRAIN_HOST (an IP SAN), made with the openssl CLI; its file is the CA to trust. */
export async function testCertificate(): Promise<TestCertificate> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scalarium-drains-tls-'));
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  await execFileAsync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=scalarium drain test', '-addext', `subjectAltName=IP:${DRAIN_HOST}`, '-keyout', keyFile, '-out', certFile,
  ]);
  return {
    dir, caFile: certFile, key: fs.readFileSync(keyFile, 'utf8'), cert: fs.readFileSync(certFile, 'utf8'),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
