// The git credential helper protocol (gitcredentials(7), git-credential(1)), as far as
// `scalarium git-credential` needs it: git writes `key=value` lines ending with a blank line on the
// helper's stdin; for `get` the helper answers `username=…` and `password=…` lines, or nothing.
// The answer is given only for the origin (protocol, host, port) of the logged-in server.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The user name git sends along with the token; the server takes any (docs/api.md, Git). */
export const GIT_USERNAME = 'scalarium';

/** git's request fields; repeated keys (`capability[]`, `wwwauth[]`) are not needed and dropped. */
export type CredentialRequest = Record<string, string>;

export function parseCredentialRequest(text: string): CredentialRequest {
  const request: CredentialRequest = {};
  for (const line of text.split('\n')) {
    const clean = line.replace(/\r$/, '');
    if (clean === '') break;
    const eq = clean.indexOf('=');
    if (eq <= 0) continue;
    const key = clean.slice(0, eq);
    if (key.endsWith('[]')) continue;
    request[key] = clean.slice(eq + 1);
  }
  return request;
}

/**
 * "http://127.0.0.1:5050" for the request's protocol and host (git puts a port into `host`), or
 * undefined when it is not a plain http(s) host. A request with only `url=` is read from the URL.
 */
export function requestOrigin(request: CredentialRequest): string | undefined {
  let protocol = request.protocol;
  let host = request.host;
  if ((protocol === undefined || host === undefined) && request.url !== undefined) {
    try {
      const url = new URL(request.url);
      protocol = url.protocol.replace(/:$/, '');
      host = url.host;
    } catch {
      return undefined;
    }
  }
  if (protocol === undefined || host === undefined) return undefined;
  protocol = protocol.toLowerCase();
  if (protocol !== 'http' && protocol !== 'https') return undefined;
  // Only host[:port] or [ipv6][:port]: nothing that could smuggle in user info, a path or a query.
  if (!/^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/.test(host)) return undefined;
  try {
    const url = new URL(`${protocol}://${host}`);
    return url.origin; // lower-cased host, default port dropped: http://h:80 == http://h
  } catch {
    return undefined;
  }
}

/** The origin of a server URL ("http://127.0.0.1:5050/prefix" → "http://127.0.0.1:5050"). */
export function serverOrigin(server: string): string | undefined {
  try {
    const url = new URL(server);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    return url.origin;
  } catch {
    return undefined;
  }
}

/**
 * The helper's answer to `get`: the credentials when the request is for the server's origin and
 * there is a token that fits on one line, else the empty string (git then tries other helpers or
 * asks).
 */
export function credentialAnswer(request: CredentialRequest, server: string | undefined, token: string | undefined): string {
  if (!server || !token || /[\s\0]/.test(token)) return '';
  const wanted = serverOrigin(server);
  const asked = requestOrigin(request);
  if (wanted === undefined || asked === undefined || asked !== wanted) return '';
  return `username=${GIT_USERNAME}\npassword=${token}\n`;
}

/** POSIX single quotes, always: `it's` → `'it'\''s'`. */
export function singleQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The absolute, symlink-free path of bin/scalarium.js. */
export function binPath(): string {
  const path = fileURLToPath(new URL('../bin/scalarium.js', import.meta.url));
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * The value of `credential.<origin>.helper`: git runs a value starting with "!" through the shell
 * and appends the action (get, store, erase), so both paths are quoted.
 */
export function helperCommand(nodePath: string = process.execPath, bin: string = binPath()): string {
  return `!${singleQuote(nodePath)} ${singleQuote(bin)} git-credential`;
}
