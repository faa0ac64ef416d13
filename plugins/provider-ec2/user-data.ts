// The user-data of an instance: a POSIX sh script that makes the instance join its cluster. It
// makes the instance's directory, installs Node from the distribution if `node` is missing (best
// effort: apt-get, dnf or yum), downloads the instance program from the server with this
// instance's token, and starts it detached — the agent, or the router for router instances.
//
// Environment overrides honoured by the script (an image, or the test sandbox, sets them):
//   SCALARIUM_INSTANCE_ROOT      the instance's directory (default /var/lib/scalarium/<instance id>)
//   SCALARIUM_ROUTER_HOST/PORT   where a router listens (default 0.0.0.0:80)
//   SCALARIUM_ADVERTISE_ADDRESS  the address others reach this instance at (default: the
//                                instance's private IPv4 from the metadata service, if any)
// The pid of the started program is written to $ROOT/pid; it leads its own process group.

export interface UserDataInput {
  instanceId: string;
  role: string;
  cluster: string;
  token: string;
  /** The server's HTTP(S) base URL as instances reach it, e.g. http://10.0.0.5:5050. */
  serverUrl: string;
  /** The uids apps run as (SCALARIUM_APP_UIDS): they are kept from the metadata service. */
  appUids: { first: number; last: number };
  /** The ports app processes get (SCALARIUM_APP_PORTS): apps are kept from each other's on loopback. */
  appPorts: { first: number; last: number };
  /** The operator's per-process limits (SCALARIUM_APP_MEMORY, _CPU, _PIDS), handed to the agent. */
  limits?: Record<string, string>;
}

const SAFE_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** 'value' for sh, whatever the value. */
export function shQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The base URL instances use: http(s) only, no path, no trailing slash. */
export function serverBaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`server URL "${url}" is not a URL (expected e.g. http://10.0.0.5:5050)`);
  }
  if (parsed.protocol === 'ws:' || parsed.protocol === 'wss:') parsed.protocol = parsed.protocol === 'ws:' ? 'http:' : 'https:';
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`server URL "${url}" must be http(s)`);
  if (parsed.username || parsed.password || parsed.search || parsed.hash) throw new Error(`server URL "${url}" must be a plain base URL`);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname.replace(/\/+$/, '')}`;
}

/** Where the agent connects: the server's WebSocket endpoint. */
export function agentSocketUrl(baseUrl: string): string {
  return `${serverBaseUrl(baseUrl).replace(/^http/, 'ws')}/agent`;
}

// Downloads the instance program with node:http(s): fetch() would refuse a server on a port
// browsers block (5060, 6000, …). Single quotes are not allowed inside: the script is embedded in '…'.
const FETCH_JS = [
  'const url = new URL(process.env.SCALARIUM_HTTP_URL + "/internal/agent.mjs");',
  'const fail = (error) => { console.error("download failed: " + error.message); process.exit(1); };',
  'const headers = { authorization: "Bearer " + process.env.SCALARIUM_INSTANCE_TOKEN, "x-scalarium-instance": process.env.SCALARIUM_INSTANCE_ID };',
  'const req = require(url.protocol === "https:" ? "node:https" : "node:http").get(url, { headers, timeout: 60000 }, (res) => {',
  '  if (res.statusCode !== 200) fail(new Error("HTTP " + res.statusCode));',
  '  const out = require("node:fs").createWriteStream(process.argv[1], { mode: 0o600 });',
  '  res.on("error", fail).pipe(out).on("error", fail).on("finish", () => process.exit(0));',
  '});',
  'req.on("timeout", () => req.destroy(new Error("no answer for 60 s"))).on("error", fail);',
].join('\n');

// The instance's private IPv4 from the metadata service (IMDSv2, then v1), best effort.
const METADATA_JS = [
  'const base = "http://169.254.169.254/latest";',
  'const get = (token) => fetch(base + "/meta-data/local-ipv4", { headers: token ? { "x-aws-ec2-metadata-token": token } : {}, signal: AbortSignal.timeout(2000) });',
  'fetch(base + "/api/token", { method: "PUT", headers: { "x-aws-ec2-metadata-token-ttl-seconds": "60" }, signal: AbortSignal.timeout(2000) })',
  '  .then((r) => (r.ok ? r.text() : "")).catch(() => "")',
  '  .then((token) => get(token)).then((r) => (r.ok ? r.text() : "")).then((ip) => { if (/^[0-9.]+$/.test(ip)) process.stdout.write(ip); })',
  '  .catch(() => {});',
].join('\n');

export function userDataScript(input: UserDataInput): string {
  if (!SAFE_ID.test(input.instanceId)) throw new Error(`instance id "${input.instanceId}" is not usable in user-data`);
  if (!/^[A-Za-z0-9_-]{16,256}$/.test(input.token)) throw new Error('instance token must be 16-256 URL-safe characters');
  const base = serverBaseUrl(input.serverUrl);
  const uids = `${Math.trunc(input.appUids.first)}-${Math.trunc(input.appUids.last)}`;
  const ports = `${Math.trunc(input.appPorts.first)}:${Math.trunc(input.appPorts.last)}`;
  const limitExports = Object.entries(input.limits ?? {})
    .filter(([name]) => /^SCALARIUM_APP_(MEMORY|CPU|PIDS)$/.test(name))
    .map(([name, value]) => `export ${name}=${shQuote(value)}\n`).join('');
  const label = (value: string) => value.replace(/[^A-Za-z0-9_.-]/g, '?');
  return `#!/bin/sh
# Scalarium user-data for instance ${input.instanceId} (role ${label(input.role)}, cluster ${label(input.cluster)}).
# Installs Node if missing (best effort), downloads the instance program from the server with this
# instance's token, starts it detached and records its pid in $ROOT/pid. Overrides:
# SCALARIUM_INSTANCE_ROOT, SCALARIUM_APPS_DIR, SCALARIUM_ROUTER_HOST, SCALARIUM_ROUTER_PORT,
# SCALARIUM_ADVERTISE_ADDRESS, SCALARIUM_IMDS_GUARD=0 and SCALARIUM_FIREWALL_APP_PORTS=0 (leave
# the firewall alone),
# SCALARIUM_INSTALL_BWRAP=0 (do not install bubblewrap).
set -u
SCALARIUM_INSTANCE_ID=${shQuote(input.instanceId)}
SCALARIUM_ROLE=${shQuote(input.role)}
SCALARIUM_HTTP_URL=${shQuote(base)}
SCALARIUM_SERVER_URL=${shQuote(agentSocketUrl(base))}
SCALARIUM_INSTANCE_TOKEN=${shQuote(input.token)}
ROOT="\${SCALARIUM_INSTANCE_ROOT:-/var/lib/scalarium/$SCALARIUM_INSTANCE_ID}"
# The apps' folders: outside ROOT (which only the agent reads), traversable so that each app's uid
# can walk to its own folder.
APPS="\${SCALARIUM_APPS_DIR:-/var/lib/scalarium-apps}"
umask 077
mkdir -p "$ROOT" "$APPS" || exit 1
chmod 700 "$ROOT" && chmod 711 "$APPS" || exit 1
log() { printf '%s scalarium: %s\\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" | tee -a "$ROOT/bootstrap.log" >&2; }

# Apps' uids may not reach the instance metadata service (its credentials are the instance's) while
# it is on: the server turns it off once this agent has connected, unless the cluster keeps it.
if [ "\${SCALARIUM_IMDS_GUARD:-1}" != 0 ]; then
  if command -v iptables >/dev/null 2>&1; then
    iptables -C OUTPUT -d 169.254.169.254 -m owner --uid-owner ${uids} -j REJECT 2>/dev/null ||
      iptables -I OUTPUT -d 169.254.169.254 -m owner --uid-owner ${uids} -j REJECT ||
      log "warning: could not keep apps from the metadata service (iptables failed)"
  else
    log "warning: no iptables: apps' uids can reach the metadata service until the server turns it off"
  fi
  if command -v ip6tables >/dev/null 2>&1; then
    ip6tables -C OUTPUT -d fd00:ec2::254 -m owner --uid-owner ${uids} -j REJECT 2>/dev/null ||
      ip6tables -I OUTPUT -d fd00:ec2::254 -m owner --uid-owner ${uids} -j REJECT 2>/dev/null || true
  fi
fi

# Apps of this instance share its loopback: none may connect to another's port (the agent lets
# each process's own uid through to its own port); root, the router and the agent, passes.
if [ "\${SCALARIUM_FIREWALL_APP_PORTS:-1}" != 0 ]; then
  for ipt in iptables ip6tables; do
    command -v $ipt >/dev/null 2>&1 || continue
    $ipt -w 5 -N SCALARIUM-APP-PORTS 2>/dev/null
    $ipt -w 5 -C OUTPUT -o lo -p tcp --dport ${ports} -j SCALARIUM-APP-PORTS 2>/dev/null ||
      $ipt -w 5 -I OUTPUT 1 -o lo -p tcp --dport ${ports} -j SCALARIUM-APP-PORTS ||
      log "warning: $ipt could not keep apps from each other's ports"
    $ipt -w 5 -C SCALARIUM-APP-PORTS -p tcp -m owner --uid-owner ${uids} -j REJECT --reject-with tcp-reset 2>/dev/null ||
      $ipt -w 5 -A SCALARIUM-APP-PORTS -p tcp -m owner --uid-owner ${uids} -j REJECT --reject-with tcp-reset || true
  done
fi

# Bubblewrap gives apps a read-only system and a private /tmp on top of their own uid (best effort).
if [ "\${SCALARIUM_INSTALL_BWRAP:-1}" != 0 ] && ! command -v bwrap >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q bubblewrap
  elif command -v dnf >/dev/null 2>&1; then
    dnf install -y bubblewrap
  elif command -v yum >/dev/null 2>&1; then
    yum install -y bubblewrap
  fi >>"$ROOT/bootstrap.log" 2>&1 || log "bubblewrap is not available: apps are isolated by their uids only"
fi

if ! command -v node >/dev/null 2>&1; then
  log "node is missing: installing it from the distribution (best effort)"
  if command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs
  elif command -v dnf >/dev/null 2>&1; then
    dnf install -y nodejs
  elif command -v yum >/dev/null 2>&1; then
    yum install -y nodejs
  fi >>"$ROOT/bootstrap.log" 2>&1
fi
if ! command -v node >/dev/null 2>&1; then
  log "no node on this instance: use an image with Node 20 or later"
  exit 1
fi
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' || log "warning: node $(node --version) is older than 20"

export SCALARIUM_INSTANCE_ID SCALARIUM_INSTANCE_TOKEN SCALARIUM_HTTP_URL
PROGRAM="$ROOT/scalarium-instance.mjs"
tries=0
while :; do
  node -e ${shQuote(FETCH_JS)} "$PROGRAM.part"
  status=$?
  [ "$status" -eq 0 ] && break
  tries=$((tries + 1))
  if [ "$tries" -ge 30 ]; then
    log "could not download the instance program from $SCALARIUM_HTTP_URL"
    exit 1
  fi
  sleep 2
done
mv -f "$PROGRAM.part" "$PROGRAM" || exit 1

if [ -z "\${SCALARIUM_ADVERTISE_ADDRESS:-}" ]; then
  SCALARIUM_ADVERTISE_ADDRESS="$(node -e ${shQuote(METADATA_JS)} 2>/dev/null)"
fi
[ -n "\${SCALARIUM_ADVERTISE_ADDRESS:-}" ] && export SCALARIUM_ADVERTISE_ADDRESS
if [ "$SCALARIUM_ROLE" = router ]; then
  export SCALARIUM_ROUTER_HOST="\${SCALARIUM_ROUTER_HOST:-0.0.0.0}"
  export SCALARIUM_ROUTER_PORT="\${SCALARIUM_ROUTER_PORT:-80}"
  export SCALARIUM_ROUTER_STATE="\${SCALARIUM_ROUTER_STATE:-$ROOT/routes.json}"
fi
export SCALARIUM_ROLE SCALARIUM_SERVER_URL
export SCALARIUM_AGENT_DIR="$ROOT" SCALARIUM_APPS_DIR="$APPS" SCALARIUM_APP_PORTS=${shQuote(`${Math.trunc(input.appPorts.first)}-${Math.trunc(input.appPorts.last)}`)}
${limitExports}unset SCALARIUM_HTTP_URL
cd "$ROOT" || exit 1
if command -v setsid >/dev/null 2>&1; then
  setsid node "$PROGRAM" </dev/null >>"$ROOT/output.log" 2>&1 &
else
  nohup node "$PROGRAM" </dev/null >>"$ROOT/output.log" 2>&1 &
fi
echo $! >"$ROOT/pid"
log "started the $SCALARIUM_ROLE program (pid $!)"
`;
}
