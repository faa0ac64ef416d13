// Buildpacks named by a git URL (`https://host/owner/repo.git#ref`), as Heroku takes them: the ref
// (a branch or tag; the remote's HEAD without one) is fetched with the git CLI, one commit deep.
// The outbound rules of tarball downloads apply: the host's addresses are vetted here and git is
// pinned to them (http.curloptResolve, so no second DNS answer counts), it follows no redirect,
// speaks only http(s), uses no credentials, proxies or config of the host, and runs as the
// build's uid in the build's sandbox.
import crypto from 'node:crypto';
import dns from 'node:dns';
import net from 'node:net';
import path from 'node:path';
import type { BuildWorkspace } from './workspace.ts';
import { runConfined } from '../sandbox/run.ts';
import { isBlockedAddress, OutboundError, type OutboundPolicy } from '../net/outbound.ts';

const FETCH_TIMEOUT_MS = 120_000;
const REF = /^(?!-)(?!.*\.\.)[A-Za-z0-9._/-]{1,200}$/;

export interface GitBuildpackUrl {
  /** The repository, without the #ref. */
  repository: URL;
  ref?: string;
}

/** A buildpack URL that names a git repository: http(s) and a path ending in .git. */
export function parseGitBuildpackUrl(url: URL): GitBuildpackUrl | undefined {
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || !/\.git\/?$/.test(url.pathname)) return undefined;
  const repository = new URL(url.href);
  repository.hash = '';
  const ref = url.hash ? decodeURIComponent(url.hash.slice(1)) : undefined;
  if (ref !== undefined && !REF.test(ref)) {
    throw new Error(`buildpack ${repository.href.slice(0, 200)}: "#${ref.slice(0, 50)}" is not a branch or tag name (letters, digits, . _ / -)`);
  }
  return { repository, ...(ref ? { ref } : {}) };
}

/** Fetches the ref into a new folder below ws.tmpDir (the build uid's) and returns it. */
export async function fetchGitBuildpack(git: GitBuildpackUrl, ws: BuildWorkspace, policy: OutboundPolicy): Promise<string> {
  const shown = `${git.repository.href.slice(0, 200)}${git.ref ? `#${git.ref}` : ''}`;
  const pin = await vetGitHost(git.repository, policy);
  const dir = path.join(ws.tmpDir, `buildpack-git-${crypto.randomBytes(4).toString('hex')}`);
  const config = [
    'protocol.allow=never', `protocol.${git.repository.protocol.slice(0, -1)}.allow=always`, 'http.followRedirects=false',
    'credential.helper=', 'core.hooksPath=/dev/null', 'transfer.fsckObjects=true', 'advice.detachedHead=false',
    ...(pin ? [`http.curloptResolve=${pin}`] : []),
  ].flatMap((c) => ['-c', c]);
  const env = ws.env({ GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '/bin/false' });
  const run = async (args: string[], what: string) => {
    const result = await runConfined(ws.confine(['git', ...config, ...args], [], ws.tmpDir), env, { timeoutMs: FETCH_TIMEOUT_MS, maxOutput: 64 * 1024 });
    if (result.code === 0) return;
    const said = result.output.trim().split('\n').filter((l) => !/^hint:/.test(l)).slice(-3).join(' / ').slice(0, 400);
    throw new Error(`could not ${what} buildpack ${shown}: ${result.timedOut ? `git did not finish within ${FETCH_TIMEOUT_MS / 1000} s` : said || `git exited with code ${result.code}`}`);
  };
  await run(['init', '-q', '--', dir], 'prepare');
  await run(['-C', dir, 'fetch', '-q', '--depth', '1', '--no-tags', '--', git.repository.href, git.ref ?? 'HEAD'], 'fetch');
  await run(['-C', dir, 'checkout', '-q', 'FETCH_HEAD'], 'check out');
  return dir;
}

/**
 * The host's addresses, each as the outbound policy judges it; a local address on a port of this
 * server's own refused outright. Returns the curl "host:port:addresses" pin (none for an IP literal).
 */
async function vetGitHost(url: URL, policy: OutboundPolicy): Promise<string | undefined> {
  if (url.username || url.password) {
    throw new OutboundError(`refused to fetch ${url.host}: the URL contains a user name or password (user:password@); use a public repository URL`);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  const literal = net.isIP(host) !== 0;
  let addresses: string[];
  try {
    addresses = literal ? [host] : (await dns.promises.lookup(host, { all: true, verbatim: true })).map((a) => a.address);
  } catch (error) {
    throw new OutboundError(`could not fetch buildpack: the host name ${host.slice(0, 100)} does not resolve (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (!addresses.length) throw new OutboundError(`could not fetch buildpack: the host name ${host.slice(0, 100)} has no addresses`);
  const selfPort = policy.self.some((s) => s.port === port);
  for (const address of addresses) {
    const subject = literal ? address : `${host.slice(0, 100)} resolves to ${address}, which`;
    const reason = isBlockedAddress(address, policy);
    if (reason) throw new OutboundError(`refused to fetch ${url.host}: ${subject} is ${reason === "this host's own address" ? reason : `a ${reason} address`} (an operator can allow a range with SCALARIUM_OUTBOUND_ALLOW)`);
    if (selfPort && isBlockedAddress(address, { allow: [], self: [] })) {
      throw new OutboundError(`refused to fetch ${url.host}: port ${port} of this host is this Scalarium server's or router's own endpoint`);
    }
  }
  return literal ? undefined : `${host}:${port}:${addresses.map((a) => (a.includes(':') ? `[${a}]` : a)).join(',')}`;
}
