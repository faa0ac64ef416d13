#!/usr/bin/env bash
# Runs before `npm test`: the UI tests drive a real headless Chromium. Installs Debian's chromium
# when it is missing and we may (root with apt-get); otherwise says what to do.
set -euo pipefail
chromium_path="${CHROMIUM_PATH:-/usr/bin/chromium}"
[ -x "$chromium_path" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Chromium for the UI tests (apt-get install chromium)..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "The UI tests need Chromium at $chromium_path: install it (e.g. sudo apt-get install chromium) or set CHROMIUM_PATH." >&2
exit 1
