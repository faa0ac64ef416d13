// The outbound guard against real HTTP servers on ephemeral ports. Linux routes all of 127/8 to
// lo, so a server on 127.0.0.2 plays a "public" site when the policy allows 127.0.0.2/32, while
// servers on 127.0.0.1 stand for the internal services that must never be reached.
import test, { type ExecutionContext } from 'ava';
import crypto from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import fs from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import type { Readable } from 'node:stream';
import { downloadTo, isBlockedAddress, OutboundError, openOutbound, outboundPolicyFromEnv, type OutboundPolicy } from './outbound.ts';

// ── helpers ────────────────────────────────────────────────────────────────────────────────────

const NOTHING_ALLOWED: OutboundPolicy = { allow: [], self: [] };
const PUBLIC_127_0_0_2: OutboundPolicy = { allow: ['127.0.0.2/32'], self: [] };
const LIMITS = { maxBytes: 10_000_000, timeoutMs: 20_000 };

// A self-signed test certificate for "localhost" (valid until 2126); no client trusts it.
const TEST_KEY = [
  '-----BEGIN PRIVATE KEY-----',
  'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgVYTW9H/QPmVtBnGt',
  'fEwpaG+QTjxblkwk95bokVwYXXuhRANCAATkQcni3UFHh1NJfn8mN4Nu8UcG7kuK',
  'PWcbntfawXwmm3mJU7YD3vUzB1bn/2IHqp6y357Vp6M+pL+jMUr0nei1',
  '-----END PRIVATE KEY-----',
].join('\n');
const TEST_CERT = [
  '-----BEGIN CERTIFICATE-----',
  'MIIBlDCCATugAwIBAgIUcvnpYMYH6COkHKgLCFJmnTsxe3kwCgYIKoZIzj0EAwIw',
  'FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTIwMjE0MzEwNVoYDzIxMjYxMTA4',
  'MTQzMTA1WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO',
  'PQMBBwNCAATkQcni3UFHh1NJfn8mN4Nu8UcG7kuKPWcbntfawXwmm3mJU7YD3vUz',
  'B1bn/2IHqp6y357Vp6M+pL+jMUr0nei1o2kwZzAdBgNVHQ4EFgQUXjilX2UbLu8H',
  'K6giNR7zUA/o1CEwHwYDVR0jBBgwFoAUXjilX2UbLu8HK6giNR7zUA/o1CEwDwYD',
  'VR0TAQH/BAUwAwEB/zAUBgNVHREEDTALgglsb2NhbGhvc3QwCgYIKoZIzj0EAwID',
  'RwAwRAIgL/dsIXYsEvI7WnMkf5ErwtTkx7rOJ55XpHc4K6CGIFgCIA2lA3aT6XEG',
  'PUXkig5o4IRwvO1CO5ObEhlIyvEzD2+K',
  '-----END CERTIFICATE-----',
].join('\n');

interface Site {
  port: number;
  /** http://host:port */
  origin: string;
  /** Requests and TCP connections received so far. */
  requests: http.IncomingMessage[];
  connections: number;
  /** Resolves when the first connection the server accepted has closed. */
  firstClosed: Promise<void>;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, site: Site) => void;

async function serve(t: ExecutionContext, host: string, handler: Handler): Promise<Site> {
  const server = http.createServer();
  let closed!: () => void;
  const site: Site = { port: 0, origin: '', requests: [], connections: 0, firstClosed: new Promise((resolve) => (closed = resolve)) };
  server.on('connection', (socket: Socket) => {
    site.connections++;
    socket.once('close', () => closed());
  });
  server.on('request', (req, res) => {
    site.requests.push(req);
    handler(req, res, site);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  site.port = (server.address() as AddressInfo).port;
  site.origin = `http://${host}:${site.port}`;
  t.teardown(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return site;
}

async function tmpFile(t: ExecutionContext): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'outbound-test-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  return path.join(dir, 'download');
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(() => true, () => false);
}

async function readAll(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

/** Fails the test unless `promise` settles within `ms`. */
async function within(t: ExecutionContext, promise: Promise<unknown>, ms: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([promise.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)))]);
  clearTimeout(timer);
  t.true(settled, `${what} within ${ms} ms`);
}

// ── addresses ──────────────────────────────────────────────────────────────────────────────────

test('isBlockedAddress refuses loopback, private and special ranges with their reason', (t) => {
  const cases: Array<[string, string]> = [
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['192.0.0.8', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['ff02::1', 'multicast'],
    // IPv6 spellings of IPv4 addresses are judged as the IPv4 address
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['0:0:0:0:0:FFFF:7F00:0001', 'loopback'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:a9fe:a9fe', 'link-local'],
    ['::127.0.0.1', 'loopback'],
    ['::7f00:1', 'loopback'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b::10.1.2.3', 'private'],
    ['not an address', 'reserved'],
  ];
  for (const [address, reason] of cases) t.is(isBlockedAddress(address, NOTHING_ALLOWED), reason, address);
});

test('isBlockedAddress allows public addresses', (t) => {
  for (const address of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '11.0.0.1', '2001:4860:4860::8888', '::ffff:8.8.8.8', '64:ff9b::808:808']) {
    t.is(isBlockedAddress(address, NOTHING_ALLOWED), undefined, address);
  }
});

test('an allow-listed range un-blocks exactly its addresses, in every spelling', (t) => {
  const policy: OutboundPolicy = { allow: ['10.0.0.0/8', '::1/128', '127.0.0.2/32'], self: [] };
  for (const address of ['10.0.0.1', '10.255.1.2', '::ffff:10.1.2.3', '::ffff:a01:203', '64:ff9b::a01:203', '::1', '127.0.0.2', '::ffff:127.0.0.2']) {
    t.is(isBlockedAddress(address, policy), undefined, address);
  }
  t.is(isBlockedAddress('127.0.0.1', policy), 'loopback');
  t.is(isBlockedAddress('127.0.0.3', policy), 'loopback');
  t.is(isBlockedAddress('192.168.0.1', policy), 'private');
  t.is(isBlockedAddress('fe80::1', policy), 'link-local');
});

test("every address of this host's interfaces is refused", (t) => {
  const addresses = Object.values(os.networkInterfaces()).flatMap((list) => list ?? []);
  t.true(addresses.length > 0);
  for (const { address, family, internal } of addresses) {
    const reason = isBlockedAddress(address, NOTHING_ALLOWED);
    t.truthy(reason, address);
    // An interface address outside every blocked range (e.g. a public IPv4) is refused as our own.
    const special = /^(10|127|169\.254|192\.168|172\.(1[6-9]|2\d|3[01])|100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7]))\./.test(address);
    if (family === 'IPv4' && !internal && !special) t.is(reason, "this host's own address", address);
  }
});

test('outboundPolicyFromEnv reads SCALARIUM_OUTBOUND_ALLOW and names an invalid entry', (t) => {
  const self = [{ host: '127.0.0.1', port: 5050 }];
  t.deepEqual(outboundPolicyFromEnv({ SCALARIUM_OUTBOUND_ALLOW: ' 10.0.0.0/8, fd00::/8 ,,127.0.0.2/32' }, self), { allow: ['10.0.0.0/8', 'fd00::/8', '127.0.0.2/32'], self });
  t.deepEqual(outboundPolicyFromEnv({}, []), { allow: [], self: [] });
  t.deepEqual(outboundPolicyFromEnv({ SCALARIUM_OUTBOUND_ALLOW: '' }, []), { allow: [], self: [] });
  for (const entry of ['10.0.0.0/33', '::1/129', 'example.org', '10.0.0.0/8/1', '10.0.0.0/-1', '10.0.0/8', '10.0.0.0/']) {
    const error = t.throws(() => outboundPolicyFromEnv({ SCALARIUM_OUTBOUND_ALLOW: `192.168.0.0/16,${entry}` }, self), undefined, entry);
    t.true(error?.message.includes(`"${entry}"`), error?.message);
    t.regex(error?.message ?? '', /SCALARIUM_OUTBOUND_ALLOW/);
  }
});

// ── refusals ───────────────────────────────────────────────────────────────────────────────────

// Serial, so that no other test's sockets are counted: these must be refused before any
// connection attempt (10.0.0.1 or the metadata address would otherwise hang until the timeout).
test.serial('metadata and private addresses are refused before any connection or lookup', async (t) => {
  let sockets = 0;
  const count = () => sockets++;
  diagnostics.subscribe('net.client.socket', count);
  t.teardown(() => diagnostics.unsubscribe('net.client.socket', count));
  const started = Date.now();
  await t.throwsAsync(openOutbound('http://169.254.169.254/latest/meta-data/', NOTHING_ALLOWED, { maxBytes: 1000, timeoutMs: 60_000 }), {
    instanceOf: OutboundError,
    message: 'refused to fetch http://169.254.169.254/latest/meta-data/: 169.254.169.254 is a link-local address (an operator can allow a range with SCALARIUM_OUTBOUND_ALLOW)',
  });
  await t.throwsAsync(downloadTo('http://10.0.0.1/', path.join(os.tmpdir(), 'never-written'), NOTHING_ALLOWED, { maxBytes: 1000, timeoutMs: 60_000 }), {
    instanceOf: OutboundError,
    message: /10\.0\.0\.1 is a private address/,
  });
  await t.throwsAsync(openOutbound('http://[fd00::1]:8080/', NOTHING_ALLOWED, { maxBytes: 1000, timeoutMs: 60_000 }), { message: /fd00::1 is a unique-local address/ });
  t.is(sockets, 0);
  t.true(Date.now() - started < 5000, 'refused without waiting for the network');
});

test('loopback in any spelling is refused and the loopback server sees nothing', async (t) => {
  const internal = await serve(t, '127.0.0.1', (_req, res) => res.end('internal secret'));
  const { port } = internal;
  for (const url of [
    `http://127.0.0.1:${port}/internal/x`,
    `http://0x7f000001:${port}/`,
    `http://2130706433:${port}/`,
    `http://127.1:${port}/`,
    `http://0177.0.0.1:${port}/`,
    `http://[::ffff:127.0.0.1]:${port}/`,
    `http://[::1]:${port}/`,
    `https://127.0.0.1:${port}/`,
  ]) {
    await t.throwsAsync(openOutbound(url, NOTHING_ALLOWED, LIMITS), { instanceOf: OutboundError, message: /^refused to fetch .*: (127\.0\.0\.1|::ffff:7f00:1|::1) is a loopback address \(an operator can allow/ }, url);
  }
  await t.throwsAsync(openOutbound(`http://localhost:${port}/`, NOTHING_ALLOWED, LIMITS), { message: /localhost resolves to (127\.0\.0\.1|::1), which is a loopback address/ });
  const file = await tmpFile(t);
  await t.throwsAsync(downloadTo(`http://127.0.0.1:${port}/internal/x`, file, NOTHING_ALLOWED, LIMITS), {
    message: `refused to fetch http://127.0.0.1:${port}/internal/x: 127.0.0.1 is a loopback address (an operator can allow a range with SCALARIUM_OUTBOUND_ALLOW)`,
  });
  t.false(await exists(file));
  t.is(internal.connections, 0);
  t.is(internal.requests.length, 0);
});

test('only http(s) URLs without credentials are fetched', async (t) => {
  const site = await serve(t, '127.0.0.2', (_req, res) => res.end('ok'));
  await t.throwsAsync(openOutbound('file:///etc/passwd', PUBLIC_127_0_0_2, LIMITS), { instanceOf: OutboundError, message: /^refused to fetch file:\/\/\/etc\/passwd: only http and https URLs/ });
  await t.throwsAsync(openOutbound('ftp://x/', PUBLIC_127_0_0_2, LIMITS), { message: /only http and https URLs can be fetched, not ftp:/ });
  await t.throwsAsync(openOutbound('not a url', PUBLIC_127_0_0_2, LIMITS), { message: /not a valid URL/ });
  const error = await t.throwsAsync(openOutbound(`http://user:pw-secret@127.0.0.2:${site.port}/`, PUBLIC_127_0_0_2, LIMITS), { message: /user name or password/ });
  t.false(error?.message.includes('pw-secret'), 'the password is not echoed');
  t.is(site.connections, 0);
  // A very long URL is cut short in the message.
  const long = `ftp://x/${'a'.repeat(5000)}`;
  const longError = await t.throwsAsync(openOutbound(long, PUBLIC_127_0_0_2, LIMITS));
  t.true((longError?.message.length ?? Infinity) < 400);
});

test("the server's and router's own endpoints are refused even when allow-listed", async (t) => {
  const site = await serve(t, '127.0.0.2', (_req, res) => res.end('ok'));
  const own: OutboundPolicy = { allow: ['127.0.0.2/32'], self: [{ host: '127.0.0.2', port: site.port }] };
  await t.throwsAsync(openOutbound(`${site.origin}/`, own, LIMITS), { message: `refused to fetch ${site.origin}/: 127.0.0.2:${site.port} is this Scalarium server's or router's own endpoint` });
  // A wildcard or loopback self host covers every local address on that port.
  for (const host of ['0.0.0.0', '::', '127.0.0.1', 'localhost']) {
    const wildcard: OutboundPolicy = { allow: ['127.0.0.0/8'], self: [{ host, port: site.port }] };
    await t.throwsAsync(openOutbound(`${site.origin}/`, wildcard, LIMITS), { message: /own endpoint/ }, host);
  }
  // Another port of the same address is fine.
  const elsewhere: OutboundPolicy = { allow: ['127.0.0.2/32'], self: [{ host: '127.0.0.2', port: site.port + 1 === 65536 ? 1 : site.port + 1 }] };
  const res = await openOutbound(`${site.origin}/`, elsewhere, LIMITS);
  t.is(res.status, 200);
  t.is(await readAll(res.body), 'ok');
  t.is(site.requests.length, 1);
});

// ── downloads and redirects ────────────────────────────────────────────────────────────────────

test('downloadTo saves an allowed site’s body with its size and sha256, mode 0600', async (t) => {
  const content = crypto.randomBytes(300_000);
  const site = await serve(t, '127.0.0.2', (_req, res) => res.end(content));
  const file = await tmpFile(t);
  const result = await downloadTo(`${site.origin}/pack.tgz`, file, PUBLIC_127_0_0_2, LIMITS);
  t.deepEqual(result, { bytes: content.length, sha256: crypto.createHash('sha256').update(content).digest('hex'), url: `${site.origin}/pack.tgz` });
  t.true((await fs.readFile(file)).equals(content));
  t.is((await fs.stat(file)).mode & 0o777, 0o600);
  t.is(site.requests[0].headers.host, `127.0.0.2:${site.port}`);
});

test('a DNS name is connected to its vetted address and keeps its Host header', async (t) => {
  const site = await serve(t, '127.0.0.1', (req, res) => res.end(`hello ${req.headers.host}`));
  const loopback: OutboundPolicy = { allow: ['127.0.0.0/8', '::1/128'], self: [] };
  const res = await openOutbound(`http://localhost:${site.port}/`, loopback, LIMITS);
  t.is(res.status, 200);
  t.is(await readAll(res.body), `hello localhost:${site.port}`);
});

test('https keeps the host name for SNI and refuses an untrusted certificate', async (t) => {
  let servername: string | undefined;
  const context = tls.createSecureContext({ key: TEST_KEY, cert: TEST_CERT });
  const server = https.createServer({ key: TEST_KEY, cert: TEST_CERT, SNICallback: (name, done) => {
    servername = name;
    done(null, context);
  } }, (_req, res) => res.end('tls'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  const { port } = server.address() as AddressInfo;
  await t.throwsAsync(openOutbound(`https://localhost:${port}/`, { allow: ['127.0.0.0/8', '::1/128'], self: [] }, LIMITS), {
    instanceOf: OutboundError,
    message: new RegExp(`^could not fetch https://localhost:${port}/: .*certificate`, 'i'),
  });
  t.is(servername, 'localhost');
});

test('a redirect from an allowed site to loopback is refused before connecting', async (t) => {
  const internal = await serve(t, '127.0.0.1', (_req, res) => res.end('internal secret'));
  const site = await serve(t, '127.0.0.2', (_req, res) => res.writeHead(302, { location: `http://127.0.0.1:${internal.port}/internal/x` }).end('moved'));
  const file = await tmpFile(t);
  await t.throwsAsync(downloadTo(`${site.origin}/pack.tgz`, file, PUBLIC_127_0_0_2, LIMITS), {
    instanceOf: OutboundError,
    message: `refused to fetch ${site.origin}/pack.tgz (redirected to http://127.0.0.1:${internal.port}/internal/x): 127.0.0.1 is a loopback address (an operator can allow a range with SCALARIUM_OUTBOUND_ALLOW)`,
  });
  t.is(site.requests.length, 1);
  t.is(internal.connections, 0);
  t.is(internal.requests.length, 0);
  t.false(await exists(file));
});

test('relative redirects with every redirect status are followed', async (t) => {
  const chain: Record<string, [number, string]> = {
    '/dir/a': [301, 'b'],
    '/dir/b': [302, '../dir/c?x=1'],
    '/dir/c?x=1': [303, '/dir/d'],
    '/dir/d': [307, `http://127.0.0.2:PORT/dir/e`],
    '/dir/e': [308, 'f'],
  };
  const site = await serve(t, '127.0.0.2', (req, res, s) => {
    const step = chain[req.url ?? ''];
    if (step) res.writeHead(step[0], { location: step[1].replace('PORT', String(s.port)) }).end();
    else res.end(`arrived at ${req.url}`);
  });
  const res = await openOutbound(`${site.origin}/dir/a`, PUBLIC_127_0_0_2, LIMITS);
  t.is(res.status, 200);
  t.is(res.url, `${site.origin}/dir/f`);
  t.is(await readAll(res.body), 'arrived at /dir/f');
  t.deepEqual(site.requests.map((r) => r.url), ['/dir/a', '/dir/b', '/dir/c?x=1', '/dir/d', '/dir/e', '/dir/f']);
});

test('more redirects than maxRedirects are refused', async (t) => {
  // /hop/N redirects to /hop/N-1; /hop/0 answers.
  const site = await serve(t, '127.0.0.2', (req, res) => {
    const n = Number(req.url?.split('/')[2]);
    if (n > 0) res.writeHead(302, { location: `/hop/${n - 1}` }).end();
    else res.end('landed');
  });
  await t.throwsAsync(openOutbound(`${site.origin}/hop/6`, PUBLIC_127_0_0_2, { ...LIMITS, maxRedirects: 5 }), { instanceOf: OutboundError, message: `could not fetch ${site.origin}/hop/6: more than 5 redirects` });
  t.is(site.requests.length, 6);
  const ok = await openOutbound(`${site.origin}/hop/5`, PUBLIC_127_0_0_2, { ...LIMITS, maxRedirects: 5 });
  t.is(await readAll(ok.body), 'landed');
  await t.throwsAsync(downloadTo(`${site.origin}/hop/6`, await tmpFile(t), PUBLIC_127_0_0_2, LIMITS), { message: /more than 5 redirects/ }); // the default
  await t.throwsAsync(openOutbound(`${site.origin}/hop/1`, PUBLIC_127_0_0_2, { ...LIMITS, maxRedirects: 0 }), { message: /more than 0 redirects/ });
});

test('credentials headers do not follow a redirect to another origin', async (t) => {
  const other = await serve(t, '127.0.0.2', (_req, res) => res.end('other'));
  const site = await serve(t, '127.0.0.2', (req, res) => {
    if (req.url === '/same') res.writeHead(302, { location: '/cross' }).end();
    else if (req.url === '/cross') res.writeHead(302, { location: `${other.origin}/` }).end();
    else res.end();
  });
  const res = await openOutbound(`${site.origin}/same`, PUBLIC_127_0_0_2, { ...LIMITS, headers: { Authorization: 'Bearer t0ken', 'X-Trace': 'abc' } });
  t.is(await readAll(res.body), 'other');
  t.is(site.requests[1].headers.authorization, 'Bearer t0ken');
  t.is(other.requests[0].headers.authorization, undefined);
  t.is(other.requests[0].headers['x-trace'], 'abc');
});

test('a non-2xx answer is returned by openOutbound and fails downloadTo without echoing the body', async (t) => {
  const site = await serve(t, '127.0.0.2', (_req, res) => res.writeHead(404, { 'content-type': 'text/plain' }).end('SECRET-BODY-TEXT'));
  const res = await openOutbound(`${site.origin}/missing`, PUBLIC_127_0_0_2, LIMITS);
  t.is(res.status, 404);
  t.is(res.headers['content-type'], 'text/plain');
  t.is(await readAll(res.body), 'SECRET-BODY-TEXT');
  const file = await tmpFile(t);
  const error = await t.throwsAsync(downloadTo(`${site.origin}/missing`, file, PUBLIC_127_0_0_2, LIMITS), {
    instanceOf: OutboundError,
    message: `could not fetch ${site.origin}/missing: the server answered HTTP 404`,
  });
  t.false(error?.message.includes('SECRET'));
  t.false(await exists(file));
});

// ── limits ─────────────────────────────────────────────────────────────────────────────────────

test('a Content-Length over maxBytes is refused before the body is read', async (t) => {
  // The body never comes: reading it would end in the timeout, not in the size error.
  const site = await serve(t, '127.0.0.2', (_req, res) => {
    res.writeHead(200, { 'content-length': 50_000_000 });
    res.write('x'.repeat(100));
  });
  const file = await tmpFile(t);
  await t.throwsAsync(downloadTo(`${site.origin}/big`, file, PUBLIC_127_0_0_2, { maxBytes: 1_000_000, timeoutMs: 20_000 }), {
    instanceOf: OutboundError,
    message: `could not fetch ${site.origin}/big: the response is 50000000 bytes, more than the limit of 1000000 bytes`,
  });
  t.false(await exists(file));
  await within(t, site.firstClosed, 5000, 'the connection is closed');
});

test('a chunked body growing past maxBytes is cut off and the partial file removed', async (t) => {
  const site = await serve(t, '127.0.0.2', async (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' }); // no Content-Length: chunked
    for (let i = 0; i < 100 && !res.destroyed; i++) {
      if (!res.write(crypto.randomBytes(16 * 1024))) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    res.end();
  });
  const file = await tmpFile(t);
  await t.throwsAsync(downloadTo(`${site.origin}/endless`, file, PUBLIC_127_0_0_2, { maxBytes: 100_000, timeoutMs: 20_000 }), {
    instanceOf: OutboundError,
    message: `could not fetch ${site.origin}/endless: the response is larger than the limit of 100000 bytes`,
  });
  t.false(await exists(file));
  // openOutbound's body errors the same way.
  const res = await openOutbound(`${site.origin}/endless`, PUBLIC_127_0_0_2, { maxBytes: 100_000, timeoutMs: 20_000 });
  await t.throwsAsync(readAll(res.body), { instanceOf: OutboundError, message: /larger than the limit of 100000 bytes/ });
});

test('a server that never answers times out and its connection is closed', async (t) => {
  const site = await serve(t, '127.0.0.2', () => {});
  await t.throwsAsync(openOutbound(`${site.origin}/slow`, PUBLIC_127_0_0_2, { maxBytes: 1000, timeoutMs: 300 }), {
    instanceOf: OutboundError,
    message: `could not fetch ${site.origin}/slow: timed out after 300 ms`,
  });
  t.is(site.requests.length, 1);
  await within(t, site.firstClosed, 5000, 'the connection is closed');
});

test('the timeout covers the body: a stalled download is cut off and the file removed', async (t) => {
  const site = await serve(t, '127.0.0.2', (_req, res) => {
    res.writeHead(200, { 'content-length': 10_000 });
    res.write('x'.repeat(1000)); // and nothing more
  });
  const file = await tmpFile(t);
  await t.throwsAsync(downloadTo(`${site.origin}/stall`, file, PUBLIC_127_0_0_2, { maxBytes: 1_000_000, timeoutMs: 500 }), {
    instanceOf: OutboundError,
    message: /timed out after 500 ms/,
  });
  t.false(await exists(file));
  await within(t, site.firstClosed, 5000, 'the connection is closed');
});

test('an abandoned body is destroyed at the deadline without crashing anything', async (t) => {
  const site = await serve(t, '127.0.0.2', (_req, res) => {
    res.writeHead(200);
    res.write('partial'); // and nothing more
  });
  const res = await openOutbound(`${site.origin}/`, PUBLIC_127_0_0_2, { maxBytes: 1000, timeoutMs: 300 });
  t.is(res.status, 200);
  await within(t, site.firstClosed, 5000, 'the connection is closed');
  t.true(res.body.destroyed);
  t.regex(String(res.body.errored), /timed out after 300 ms/);
});
