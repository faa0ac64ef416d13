// What a drain URL may be: syslog:// (RFC 5424 over TCP), syslog+tls:// (over TLS) or https://
// (batched POSTs, logplex frames or JSON lines). Checked here before anything is stored; the
// address it points at is vetted apart (vet.ts), at add time and again at every connection.
import { redactUrl } from './redact.ts';
import { unsupportedScheme } from './errors.ts';

export type DrainKind = 'syslog' | 'syslog+tls' | 'https';
/** rfc5424 for syslog drains; logplex (Heroku's application/logplex-1) or json (NDJSON) for https. */
export type DrainFormat = 'rfc5424' | 'logplex' | 'json';

export interface DrainTarget {
  /** The URL as given (it may hold credentials: stored sealed, never shown). */
  url: string;
  kind: DrainKind;
  host: string;
  port: number;
  format: DrainFormat;
}

const MAX_URL_LENGTH = 2048;
const DEFAULT_PORTS: Record<DrainKind, number> = { syslog: 514, 'syslog+tls': 6514, https: 443 };

function refuse(url: string, reason: string): never {
  throw unsupportedScheme({ url: redactUrl(url), reason });
}

/** The drain a URL (and, for https, a format) describes, or a 400 that says what would work. */
export function parseDrainUrl(url: string, format?: string): DrainTarget {
  if (url.length > MAX_URL_LENGTH) refuse(url.slice(0, 100), `it is longer than ${MAX_URL_LENGTH} characters`);
  if (/[\u0000-\u0020\u007f]/.test(url)) refuse(url, 'it contains spaces or control characters');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return refuse(url, 'it is not a URL');
  }
  const kind = parsed.protocol.slice(0, -1) as DrainKind;
  if (!(kind in DEFAULT_PORTS)) refuse(url, `${JSON.stringify(parsed.protocol.slice(0, 20))} is not a drain scheme`);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) refuse(url, 'it names no host');
  const port = parsed.port ? Number(parsed.port) : DEFAULT_PORTS[kind];
  if (kind === 'https') {
    const chosen = format ?? 'logplex';
    if (chosen !== 'logplex' && chosen !== 'json') refuse(url, `an https drain sends logplex or json, not ${JSON.stringify(String(chosen).slice(0, 20))}`);
    return { url: parsed.href, kind, host, port, format: chosen };
  }
  if (format !== undefined && format !== 'rfc5424') refuse(url, 'a syslog drain sends RFC 5424 messages; --format is for https drains');
  // Syslog has nowhere to put credentials or a path: refuse them rather than drop them silently.
  if (parsed.username || parsed.password) refuse(url, 'a syslog drain has no user name or password');
  if ((parsed.pathname && parsed.pathname !== '/') || parsed.search || parsed.hash) refuse(url, 'a syslog drain is only a host and a port');
  return { url: `${kind}://${parsed.host}`, kind, host, port, format: 'rfc5424' };
}
