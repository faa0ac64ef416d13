#!/usr/bin/env bash
# Runs before `npm test`. The UI tests drive a real headless Chromium, and the isolation tests run
# apps in bubblewrap sandboxes (and, as root, without them too); the network tests close app ports
# with iptables and try them from a network namespace (iproute2). Installs Debian's packages when
# they are missing and we may (root with apt-get); otherwise says what to do.
set -euo pipefail
chromium_path="${CHROMIUM_PATH:-/usr/bin/chromium}"
missing=()
[ -x "$chromium_path" ] || missing+=(chromium)
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
PATH="$PATH:/usr/sbin:/sbin"
command -v iptables >/dev/null 2>&1 || missing+=(iptables)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
[ "${#missing[@]}" -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing ${missing[*]} for the tests (apt-get install ${missing[*]})..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
  exit 0
fi
echo "The tests need ${missing[*]} (Chromium at $chromium_path, or set CHROMIUM_PATH): install them, e.g. sudo apt-get install ${missing[*]}." >&2
exit 1
