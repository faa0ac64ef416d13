// A second host for network tests: a network namespace the test makes itself, joined to this host
// by a veth pair. What it reaches on the host's side of the pair is what any machine on the network
// would reach.
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PeerHost {
  /** This host's addresses as the peer sees them. */
  hostV4: string;
  hostV6: string;
  /** Tries a TCP connection from the peer: 'connected', 'refused' or 'timeout'. */
  connect(address: string, port: number): Promise<string>;
  remove(): Promise<void>;
}

const CONNECT = `
const net = require('node:net');
const [host, port] = process.argv.slice(1);
const socket = net.connect({ host, port: Number(port), timeout: 3000 });
socket.on('connect', () => { console.log('connected'); socket.destroy(); });
socket.on('timeout', () => { console.log('timeout'); socket.destroy(); });
socket.on('error', (e) => console.log(e.code === 'ECONNREFUSED' ? 'refused' : e.code));
`;

export async function createPeerHost(): Promise<PeerHost> {
  const id = crypto.randomBytes(3).toString('hex');
  const ns = `scl-peer-${id}`;
  const hostIf = `sclh${id}`;
  const peerIf = `scln${id}`;
  const net = 1 + (parseInt(id, 16) % 250);
  const hostV4 = `10.231.${net}.1`;
  const hostV6 = `fd00:231:${net.toString(16)}::1`;
  const ip = (...args: string[]) => run('ip', args);
  await ip('netns', 'add', ns);
  const remove = async () => {
    await ip('link', 'del', hostIf).catch(() => {});
    await ip('netns', 'del', ns).catch(() => {});
  };
  try {
    await ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', peerIf);
    await ip('link', 'set', peerIf, 'netns', ns);
    await ip('addr', 'add', `${hostV4}/30`, 'dev', hostIf);
    await ip('-6', 'addr', 'add', `${hostV6}/64`, 'dev', hostIf, 'nodad');
    await ip('link', 'set', hostIf, 'up');
    await ip('-n', ns, 'addr', 'add', `10.231.${net}.2/30`, 'dev', peerIf);
    await ip('-n', ns, '-6', 'addr', 'add', `fd00:231:${net.toString(16)}::2/64`, 'dev', peerIf, 'nodad');
    await ip('-n', ns, 'link', 'set', peerIf, 'up');
    await ip('-n', ns, 'link', 'set', 'lo', 'up');
  } catch (error) {
    await remove();
    throw error;
  }
  return {
    hostV4, hostV6,
    async connect(address, port) {
      const { stdout } = await run('ip', ['netns', 'exec', ns, process.execPath, '-e', CONNECT, address, String(port)]);
      return stdout.trim();
    },
    remove,
  };
}
