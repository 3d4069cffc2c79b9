#!/bin/bash
# The full suite (cases/suites/full.suite) against the rig's Postfix,
# configured as tests/e2e/library_servers.sh does, three times; prints
# each wall time and the median. The issue's target: under 60 s.
# Usage: bench/library-full.sh [SMTPSUITE_BINARY]
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
# shellcheck source=tests/servers/lib.sh
. "$ROOT/tests/servers/lib.sh"
srv_init "${1:-$ROOT/build/release/smtpsuite}"
srv_postfix "mydestination = \$myhostname, localhost" \
  "local_recipient_maps = inline:{postmaster=ok, alice=ok, bob=ok}" \
  "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination"
times=()
for i in 1 2 3; do
  start=$(date +%s.%N)
  "$SMTPSUITE" run --cases-dir "$ROOT/cases" full -q --no-color \
    --target-file "$ROOT/cases/targets/postfix-local.target" \
    --target "127.0.0.1:$POSTFIX_PORT" > "$SRV_DIR/run-$i.log" 2>&1 || true
  end=$(date +%s.%N)
  t=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
  times+=("$t")
  echo "run $i: ${t} s ($(tail -1 "$SRV_DIR/run-$i.log"))"
done
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 2p)
echo "median: ${median} s (target: under 60 s)"
