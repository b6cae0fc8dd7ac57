#!/usr/bin/env bash
# Runs every fuzz target in the module for a bounded budget each.
# go test -fuzz takes one target at a time, so list them first.
#
# The budget is a count of executions ("20000x"), not a duration: with a
# duration Go's fuzz coordinator can report its own deadline as a failure
# ("context deadline exceeded", golang/go#75804, fixed only in Go 1.27) when
# the machine is busy. A count has no deadline, so a failure here always
# means a crasher was found and written under testdata/fuzz.
# A duration still works for long local runs: scripts/fuzz.sh 5m
set -euo pipefail
budget=${1:-20000x}
cd "$(dirname "$0")/.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT
count=0
for pkg in $(go list ./...); do
  for target in $(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
    echo "fuzz: $pkg $target ($budget)"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$budget" -fuzzminimizetime 500x "$pkg" >"$out" 2>&1 || { cat "$out"; exit 1; }
    count=$((count+1))
  done
done
echo "fuzz: $count targets passed"
