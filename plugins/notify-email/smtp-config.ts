// The server's mail settings, from its environment only (the password never goes into the database,
// a notifier's settings or a message): SCALARIUM_SMTP_URL and SCALARIUM_SMTP_FROM.
//   smtp://user:pass@mail.example.org:587   STARTTLS; required when a password would cross the network
//   smtps://user:pass@mail.example.org      TLS from the first byte (port 465)
//   smtp://localhost:25                     a relay on this host
// ?tls=required or ?tls=optional overrides whether smtp:// insists on STARTTLS. A value that is set
// but wrong stops the server at start-up; unset, email notifiers cannot be added (settings.ts says why).
import net from 'node:net';
import { isFromAddress } from './addresses.ts';

export interface SmtpConfig {
  host: string;
  port: number;
  /** smtps: TLS from the start. */
  secure: boolean;
  /** smtp: refuse to go on (and send the password) when the server does not offer STARTTLS. */
  requireTls: boolean;
  auth?: { user: string; pass: string };
  from: string;
}

/** The config, or what is missing for one. */
export interface SmtpSetup {
  config?: SmtpConfig;
  missing: string[];
}

const SHAPE = 'smtp://[user:pass@]host[:port] or smtps://[user:pass@]host[:port] (e.g. smtp://user:pass@mail.example.org:587)';

export function smtpSetupFromEnv(env: NodeJS.ProcessEnv): SmtpSetup {
  const url = env.SCALARIUM_SMTP_URL?.trim();
  const from = env.SCALARIUM_SMTP_FROM?.trim();
  const missing = [!url && 'SCALARIUM_SMTP_URL', !from && 'SCALARIUM_SMTP_FROM'].filter((name): name is string => Boolean(name));
  if (from && !isFromAddress(from)) throw new Error('SCALARIUM_SMTP_FROM must be an address, e.g. alerts@example.org or "Scalarium <alerts@example.org>"');
  const server = url ? parseSmtpUrl(url) : undefined;
  return server && from ? { config: { ...server, from }, missing } : { missing };
}

/** Never says what the URL was: it holds the password. */
function parseSmtpUrl(text: string): Omit<SmtpConfig, 'from'> {
  const wrong = (why: string) => new Error(`SCALARIUM_SMTP_URL ${why}: use ${SHAPE}`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw wrong('is not a URL');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') throw wrong(`has the scheme ${url.protocol.slice(0, 20)}`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw wrong('has no host');
  if (url.pathname && url.pathname !== '/') throw wrong('has a path');
  const tls = url.searchParams.get('tls');
  if ([...url.searchParams.keys()].some((key) => key !== 'tls') || (tls !== null && tls !== 'required' && tls !== 'optional')) {
    throw wrong('takes no query but ?tls=required or ?tls=optional');
  }
  const secure = url.protocol === 'smtps:';
  let auth: SmtpConfig['auth'];
  try {
    auth = url.username || url.password ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined;
  } catch {
    throw wrong('has a user name or password that is not valid percent-encoding');
  }
  const requireTls = !secure && (tls === 'required' || (tls === null && Boolean(auth?.pass) && !isLoopback(host)));
  return { host, port: url.port ? Number(url.port) : secure ? 465 : 587, secure, requireTls, auth };
}

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  return net.isIPv4(host) ? host.startsWith('127.') : host === '::1';
}
