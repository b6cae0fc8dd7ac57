#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests (DESIGN §7: never a
# downloaded browser). Does nothing when it is already there, so make test
# pays for it only on a fresh machine.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "browser-deps: /usr/bin/chromium is missing and there is no apt-get to install it" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
echo "browser-deps: installing Debian's chromium"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Quiet on success; the whole log on failure, so a broken install can be read.
if ! { $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends chromium; } >"$log" 2>&1; then
  cat "$log" >&2
  exit 1
fi
echo "browser-deps: $(/usr/bin/chromium --version 2>/dev/null || echo chromium installed)"
