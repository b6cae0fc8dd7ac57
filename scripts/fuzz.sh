#!/usr/bin/env bash
# Runs every fuzz target in the module for a short time each (default 3s).
# go test -fuzz takes one target at a time, so list them first.
set -euo pipefail
fuzztime=${1:-3s}
cd "$(dirname "$0")/.."
count=0
for pkg in $(go list ./...); do
  for target in $(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
    echo "fuzz: $pkg $target ($fuzztime)"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg" >/tmp/parley-fuzz.$$ 2>&1 || { cat /tmp/parley-fuzz.$$; rm -f /tmp/parley-fuzz.$$; exit 1; }
    count=$((count+1))
  done
done
rm -f /tmp/parley-fuzz.$$
echo "fuzz: $count targets passed"
