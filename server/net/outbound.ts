// Outbound HTTP(S) on behalf of users: buildpack tarballs, deploy archives, later log drains and
// webhooks. A user-supplied URL must not make this server talk to itself, to services on the
// machine's loopback, to the private network or to a cloud metadata endpoint (SSRF). So every hop,
// redirects included, is vetted from scratch (scheme, DNS answers, addresses), and the socket is
// pinned to the addresses that passed: there is no second DNS lookup that a rebinding DNS server
// could answer differently. Size and time are capped; response bodies never appear in errors.
import crypto from 'node:crypto';
import dns from 'node:dns';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface OutboundPolicy {
  /** CIDR ranges the operator allows although they are private/loopback (e.g. "10.0.0.0/8", "127.0.0.2/32", "::1/128"). */
  allow: string[];
  /** host:port pairs that are always refused, even if allow-listed: the server's and router's own listening endpoints. */
  self: Array<{ host: string; port: number }>;
}

/** A refused or failed outbound fetch; the message is meant for the user. */
export class OutboundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutboundError';
  }
}

const ALLOW_HINT = 'an operator can allow a range with SCALARIUM_OUTBOUND_ALLOW';
const OWN_ADDRESS = "this host's own address";
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Request headers that must not follow a redirect to another origin. */
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

// ── addresses ──────────────────────────────────────────────────────────────────────────────────

/** An IP address as a number, so ranges are plain prefix comparisons. */
interface Ip { family: 4 | 6; value: bigint }
interface Cidr extends Ip { prefix: number }

function parseIp(text: string): Ip | undefined {
  const bare = text.replace(/%.*$/, ''); // a zone index (fe80::1%eth0) does not change the range
  const kind = net.isIP(bare);
  if (kind === 4) return { family: 4, value: ipv4Value(bare) };
  if (kind !== 6) return undefined;
  // net.isIP has validated the syntax; expand "::" and a trailing dotted quad into 8 groups.
  let hex = bare;
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(hex);
  if (quad) {
    const v4 = ipv4Value(quad[1]);
    hex = `${hex.slice(0, -quad[1].length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, tail] = hex.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return { family: 6, value: groups.reduce((value, group) => (value << 16n) | BigInt(`0x${group}`), 0n) };
}

function ipv4Value(dotted: string): bigint {
  return dotted.split('.').reduce((value, part) => (value << 8n) | BigInt(part), 0n);
}

/** "10.0.0.0/8", "fd00::/8"; a bare address means just that address. */
function parseCidr(text: string): Cidr | undefined {
  const [address, length, extra] = text.split('/');
  const ip = parseIp(address);
  if (!ip || extra !== undefined) return undefined;
  const bits = ip.family === 4 ? 32 : 128;
  const prefix = length === undefined ? bits : /^\d{1,3}$/.test(length) ? Number(length) : NaN;
  return prefix >= 0 && prefix <= bits ? { ...ip, prefix } : undefined;
}

function cidr(text: string): Cidr {
  const parsed = parseCidr(text);
  if (!parsed) throw new Error(`not a CIDR range: ${text}`);
  return parsed;
}

function inRange(ip: Ip, range: Cidr): boolean {
  if (ip.family !== range.family) return false;
  const shift = BigInt((ip.family === 4 ? 32 : 128) - range.prefix);
  return ip.value >> shift === range.value >> shift;
}

const sameIp = (a: Ip, b: Ip) => a.family === b.family && a.value === b.value;

// IPv6 forms that carry an IPv4 address in their last 32 bits and reach that IPv4 host: mapped
// (::ffff:127.0.0.1, also written ::ffff:7f00:1), compatible (::127.0.0.1) and NAT64 (64:ff9b::).
const MAPPED = cidr('::ffff:0:0/96');
const COMPATIBLE = cidr('::/96');
const NAT64 = cidr('64:ff9b::/96');

/** The IPv4 address an IPv6 address stands for, if any; otherwise the address itself. */
function effective(ip: Ip): Ip {
  if (ip.family === 4) return ip;
  const embeds = inRange(ip, MAPPED) || inRange(ip, NAT64) || (inRange(ip, COMPATIBLE) && ip.value > 1n); // :: and ::1 are themselves
  return embeds ? { family: 4, value: ip.value & 0xffffffffn } : ip;
}

const BLOCKED: Array<[Cidr, string]> = (
  [
    ['0.0.0.0/8', 'unspecified'], // "this network"; connecting to 0.0.0.0 reaches this host
    ['10.0.0.0/8', 'private'],
    ['100.64.0.0/10', 'carrier-grade NAT'],
    ['127.0.0.0/8', 'loopback'],
    ['169.254.0.0/16', 'link-local'], // includes the cloud metadata endpoint 169.254.169.254
    ['172.16.0.0/12', 'private'],
    ['192.0.0.0/24', 'reserved'],
    ['192.168.0.0/16', 'private'],
    ['198.18.0.0/15', 'reserved'],
    ['224.0.0.0/4', 'multicast'],
    ['240.0.0.0/4', 'reserved'], // includes the broadcast address 255.255.255.255
    ['::/128', 'unspecified'],
    ['::1/128', 'loopback'],
    ['fc00::/7', 'unique-local'],
    ['fe80::/10', 'link-local'],
    ['ff00::/8', 'multicast'],
  ] as const
).map(([range, reason]) => [cidr(range), reason]);

const rangeReason = (ip: Ip) => BLOCKED.find(([range]) => inRange(ip, range))?.[1];

/** Every address of this host's interfaces; read each time, interfaces come and go. */
function ownAddresses(): Ip[] {
  return Object.values(os.networkInterfaces())
    .flatMap((list) => list ?? [])
    .map((info) => parseIp(info.address))
    .filter((ip): ip is Ip => ip !== undefined)
    .map(effective);
}

function allowRanges(policy: OutboundPolicy): Cidr[] {
  return policy.allow.map((entry) => {
    const range = parseCidr(entry.trim());
    if (!range) throw new Error(`SCALARIUM_OUTBOUND_ALLOW: "${entry.slice(0, 100)}" is not a CIDR range (use e.g. 10.0.0.0/8 or fd00::/8, comma separated)`);
    return range;
  });
}

/**
 * Why `address` must not be connected to ("loopback", "private", …), or undefined when it may.
 * IPv4-mapped, -compatible and NAT64 IPv6 addresses are judged as the IPv4 address they carry.
 */
export function isBlockedAddress(address: string, policy: OutboundPolicy): string | undefined {
  const written = parseIp(address);
  if (!written) return 'reserved'; // not an IP address at all: fail closed
  const ip = effective(written);
  if (allowRanges(policy).some((range) => inRange(ip, range) || inRange(written, range))) return undefined;
  return rangeReason(ip) ?? (ownAddresses().some((own) => sameIp(own, ip)) ? OWN_ADDRESS : undefined);
}

/**
 * Whether address:port is one of the server's or router's own endpoints. A self host that is a
 * wildcard, a loopback address or a name (localhost) stands for every local address on that port.
 */
function isSelfEndpoint(address: string, port: number, policy: OutboundPolicy): boolean {
  const written = parseIp(address);
  if (!written) return true;
  const ip = effective(written);
  const local = () => ['loopback', 'unspecified'].includes(rangeReason(ip) ?? '') || ownAddresses().some((own) => sameIp(own, ip));
  return policy.self.some((self) => {
    if (self.port !== port) return false;
    const host = parseIp(self.host.replace(/^\[(.*)\]$/, '$1'));
    const wildcard = !host || ['loopback', 'unspecified'].includes(rangeReason(effective(host)) ?? '');
    return wildcard ? local() : sameIp(effective(host), ip);
  });
}

/** The policy from SCALARIUM_OUTBOUND_ALLOW (comma-separated CIDRs); an invalid entry throws. */
export function outboundPolicyFromEnv(env: NodeJS.ProcessEnv, self: OutboundPolicy['self']): OutboundPolicy {
  const allow = (env.SCALARIUM_OUTBOUND_ALLOW ?? '').split(',').map((entry) => entry.trim()).filter(Boolean);
  const policy = { allow, self };
  allowRanges(policy); // validates
  return policy;
}

// ── fetching ───────────────────────────────────────────────────────────────────────────────────

/** A URL for messages: without credentials, at most ~200 characters. */
function shown(url: string | URL): string {
  let text = String(url);
  try {
    const parsed = new URL(text);
    parsed.username = '';
    parsed.password = '';
    text = parsed.href;
  } catch {
    // not a URL: shown as given
  }
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

function describe(reason: string): string {
  if (reason === OWN_ADDRESS) return reason;
  return `${reason === 'unspecified' ? 'an' : 'a'} ${reason} address`;
}

function timeSpan(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}

/** A promise that rejects with the signal's reason once it aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

interface Hop { url: URL; addresses: dns.LookupAddress[] }

/** Checks one URL from scratch; `what` names it in messages. Nothing is connected to here. */
async function vet(url: URL, what: string, policy: OutboundPolicy, signal: AbortSignal): Promise<Hop> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new OutboundError(`refused to fetch ${what}: only http and https URLs can be fetched, not ${url.protocol.slice(0, 20)}`);
  }
  if (url.username || url.password) {
    throw new OutboundError(`refused to fetch ${what}: the URL contains a user name or password (user:password@); use a URL that needs no credentials, e.g. a signed link`);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  const family = net.isIP(host);
  // The URL parser has already turned 0x7f000001, 2130706433 and 127.1 into 127.0.0.1.
  const addresses = family ? [{ address: host, family }] : await resolve(host, what, signal);
  for (const { address } of addresses) {
    const subject = family ? address : `${host.slice(0, 100)} resolves to ${address}, which`;
    const reason = isBlockedAddress(address, policy);
    if (reason) throw new OutboundError(`refused to fetch ${what}: ${subject} is ${describe(reason)} (${ALLOW_HINT})`);
    if (isSelfEndpoint(address, port, policy)) {
      throw new OutboundError(`refused to fetch ${what}: ${address.includes(':') ? `[${address}]` : address}:${port} is this Scalarium server's or router's own endpoint`);
    }
  }
  return { url, addresses };
}

/** All addresses of a name: one blocked address refuses the whole name. */
async function resolve(host: string, what: string, signal: AbortSignal): Promise<dns.LookupAddress[]> {
  let addresses: dns.LookupAddress[] = [];
  try {
    addresses = await abortable(dns.promises.lookup(host, { all: true, verbatim: true }), signal);
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    throw new OutboundError(`could not fetch ${what}: the host name ${host.slice(0, 100)} does not resolve (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (!addresses.length) throw new OutboundError(`could not fetch ${what}: the host name ${host.slice(0, 100)} has no addresses`);
  return addresses;
}

/**
 * The addresses `host` may be connected to on `port` under the policy — all of them: one refused
 * address refuses the name. For plugins that connect by themselves (drains, webhooks): they connect
 * to these only (pinnedLookup), so a second DNS answer (rebinding) cannot send them elsewhere. The
 * OutboundError's message is a reason naming the host and address, never a URL.
 */
export async function vettedAddresses(host: string, port: number, policy: OutboundPolicy, signal: AbortSignal = AbortSignal.timeout(15_000)): Promise<dns.LookupAddress[]> {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  const family = net.isIP(bare);
  let addresses: dns.LookupAddress[] = [{ address: bare, family }];
  if (!family) {
    try {
      addresses = await abortable(dns.promises.lookup(bare, { all: true, verbatim: true }), signal);
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw new OutboundError(`the host name ${bare.slice(0, 100)} does not resolve (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    if (!addresses.length) throw new OutboundError(`the host name ${bare.slice(0, 100)} has no addresses`);
  }
  for (const { address } of addresses) {
    const subject = family ? address : `${bare.slice(0, 100)} resolves to ${address}, which`;
    const reason = isBlockedAddress(address, policy);
    if (reason) throw new OutboundError(`${subject} is ${describe(reason)} (${ALLOW_HINT})`);
    if (isSelfEndpoint(address, port, policy)) {
      throw new OutboundError(`${address.includes(':') ? `[${address}]` : address}:${port} is this Scalarium server's or router's own endpoint`);
    }
  }
  return addresses;
}

/** A lookup that answers with the vetted addresses only; the host name stays for Host, SNI and the certificate. */
export function pinnedLookup(addresses: readonly dns.LookupAddress[]): net.LookupFunction {
  return (_name, options, callback) => {
    if (options.all) callback(null, [...addresses]);
    else callback(null, addresses[0]!.address, addresses[0]!.family);
  };
}

/** One GET, connected only to the vetted addresses. */
function get(hop: Hop, headers: Record<string, string>, signal: AbortSignal): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    // The host name stays in the URL, so it is still sent as Host and used for TLS SNI and the
    // certificate check; only the address lookup is answered from what was vetted. (For an IP
    // literal Node does not call lookup at all and connects to the literal, vetted as well.)
    const lookup: net.LookupFunction = (_name, options, callback) => {
      if (options.all) callback(null, hop.addresses);
      else callback(null, hop.addresses[0].address, hop.addresses[0].family);
    };
    const client = hop.url.protocol === 'https:' ? https : http;
    // agent: false gives a fresh socket that is closed afterwards: a pooled keep-alive socket could
    // have been connected somewhere else.
    const req = client.request(hop.url, { method: 'GET', headers, agent: false, lookup }, (res) => {
      signal.removeEventListener('abort', onAbort); // from here on the body's own abort handling applies
      resolve(res);
    });
    const onAbort = () => req.destroy(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    req.on('error', (error) => {
      signal.removeEventListener('abort', onAbort);
      reject(error);
    });
    req.end();
  });
}

/** The response body as a stream that errors once more than maxBytes have come. */
function capped(res: http.IncomingMessage, maxBytes: number, what: string): Readable {
  let bytes = 0;
  const body = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      if (bytes > maxBytes) callback(new OutboundError(`could not fetch ${what}: the response is larger than the limit of ${maxBytes} bytes`));
      else callback(null, chunk);
    },
  });
  res.on('error', (error) => body.destroy(new OutboundError(`could not fetch ${what}: the connection broke off (${error.message})`)));
  body.on('close', () => res.destroy()); // ended, failed or abandoned: the socket goes too
  res.pipe(body);
  return body;
}

/**
 * GET `url` under the policy, following redirects (each one vetted again). Resolves once the final
 * response's headers are in, whatever its status; `timeoutMs` keeps running until its body has
 * been read or destroyed (destroy it when not reading it), and the body errors past `maxBytes`.
 */
export async function openOutbound(
  url: string,
  policy: OutboundPolicy,
  options: { maxBytes: number; timeoutMs: number; maxRedirects?: number; headers?: Record<string, string> },
): Promise<{ url: string; status: number; headers: http.IncomingHttpHeaders; body: Readable }> {
  const maxRedirects = options.maxRedirects ?? 5;
  const deadline = new AbortController();
  const { signal } = deadline;
  const timer = setTimeout(() => deadline.abort(new OutboundError(`could not fetch ${shown(url)}: timed out after ${timeSpan(options.timeoutMs)}`)), options.timeoutMs);
  let headers: Record<string, string> = { 'user-agent': 'scalarium' };
  for (const [name, value] of Object.entries(options.headers ?? {})) headers[name.toLowerCase()] = value;
  try {
    let current: URL;
    try {
      current = new URL(url);
    } catch {
      throw new OutboundError(`refused to fetch ${shown(url)}: not a valid URL`);
    }
    for (let redirects = 0; ; redirects++) {
      const what = redirects ? `${shown(url)} (redirected to ${shown(current)})` : shown(current);
      const hop = await vet(current, what, policy, signal);
      const res = await get(hop, headers, signal).catch((error: Error) => {
        throw signal.aborted ? signal.reason : new OutboundError(`could not fetch ${what}: ${error.message}`);
      });
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (REDIRECT_STATUSES.has(status) && location) {
        res.destroy(); // a redirect's body is never read
        if (redirects >= maxRedirects) throw new OutboundError(`could not fetch ${shown(url)}: more than ${maxRedirects} redirects`);
        let next: URL;
        try {
          next = new URL(location, current); // a relative Location is relative to the current URL
        } catch {
          throw new OutboundError(`could not fetch ${what}: it redirects to an invalid URL`);
        }
        if (next.origin !== current.origin) headers = Object.fromEntries(Object.entries(headers).filter(([name]) => !CREDENTIAL_HEADERS.includes(name)));
        current = next;
        continue;
      }
      const length = Number(res.headers['content-length']);
      if (status >= 200 && status < 300 && length > options.maxBytes) {
        res.destroy();
        throw new OutboundError(`could not fetch ${what}: the response is ${length} bytes, more than the limit of ${options.maxBytes} bytes`);
      }
      const body = capped(res, options.maxBytes, what);
      // A caller that abandons the body must not crash the server when the deadline later destroys
      // it with an error; callers that read it still get the error through pipeline/for await.
      body.on('error', () => {});
      const onAbort = () => body.destroy(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      body.once('close', () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      });
      return { url: current.href, status, headers: res.headers, body };
    }
  } catch (error) {
    clearTimeout(timer);
    throw error;
  }
}

/** The policy's verdict on a URL without fetching it (its host name is resolved): throws what openOutbound would. */
export async function vetOutboundUrl(url: string, policy: OutboundPolicy): Promise<void> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new OutboundError(`refused to fetch ${shown(url)}: not a valid URL`);
  }
  await vet(parsed, shown(parsed), policy, AbortSignal.timeout(15_000));
}

/**
 * Downloads `url` into `file` (mode 0600) under the policy, streaming and hashing as it goes.
 * A non-2xx answer, the size cap or the deadline fails it, and then the partial file is removed.
 */
export async function downloadTo(
  url: string,
  file: string,
  policy: OutboundPolicy,
  options: { maxBytes: number; timeoutMs: number },
): Promise<{ bytes: number; sha256: string; url: string }> {
  const res = await openOutbound(url, policy, options);
  if (res.status < 200 || res.status >= 300) {
    res.body.destroy();
    const redirected = res.url !== new URL(url).href;
    throw new OutboundError(`could not fetch ${shown(url)}: ${redirected ? shown(res.url) : 'the server'} answered HTTP ${res.status}`);
  }
  const hash = crypto.createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
  try {
    await pipeline(res.body, tap, fs.createWriteStream(file, { mode: 0o600 }));
  } catch (error) {
    await fsp.rm(file, { force: true });
    throw error instanceof OutboundError ? error : new OutboundError(`could not fetch ${shown(url)}: ${(error as Error).message}`);
  }
  return { bytes, sha256: hash.digest('hex'), url: res.url };
}
