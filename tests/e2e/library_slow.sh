#!/bin/bash
# The slow cases of the library (tag slow: idle timeouts, pauses of a
# minute or more): each PASSes against the conformant sink (mx) and FAILs
# at its key assertion under the fault tests/mutation/faults.tsv names
# for it. Everything runs at once; the longest case (a 5-minute idle
# session) sets the time.
# Usage: library_slow.sh SMTPSUITE_BINARY
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=tests/servers/lib.sh
. "$HERE/../servers/lib.sh"
srv_init "$1"
LIB="$SRV_PY $HERE/library.py"
OUT=$SRV_DIR/slow
$LIB plan "$SMTPSUITE" "$ROOT" "$OUT"
[ -s "$OUT/slow-plan.tsv" ] || srv_fail "no slow case in the plan"

# start_sink COMBO FAULTFILE: a sink as the combo says, with the faults.
start_sink() {
  local target args
  IFS=$'\t' read -r _ target args _ < <(grep -P "^$1\t" "$OUT/combos.tsv")
  # shellcheck disable=SC2086 # the options are words
  srv_sink --quiet $args --fault-file "$2" > /dev/null
  TARGET=$target
  stops+=("$SINK_PID $SINK_DIR")
}

run_case() { # ID TARGET PORT JSON
  "$SMTPSUITE" run --cases-dir "$ROOT/cases" "$ROOT/cases" --id "$1" --allow-intrusive \
    -q --no-color --target-file "$ROOT/cases/targets/$2" --target "127.0.0.1:$3" \
    --json "$4" > "$4.log" 2>&1 || true
}

pids=()
stops=()
: > "$OUT/slow.tsv"
start_sink mx "$OUT/mx.faults"
n=0
while IFS=$'\t' read -r id combo ff; do
  n=$((n + 1))
  run_case "$id" sink.target "$SINK_PORT" "$OUT/pass-$n.json" &
  pids+=($!)
  printf '%s\tpass\t%s\n' "$id" "$OUT/pass-$n.json" >> "$OUT/slow.tsv"
done < "$OUT/slow-plan.tsv"
mx_port=$SINK_PORT
n=0
while IFS=$'\t' read -r id combo ff; do
  n=$((n + 1))
  start_sink "$combo" "$ff"
  run_case "$id" "$TARGET" "$SINK_PORT" "$OUT/fail-$n.json" &
  pids+=($!)
  printf '%s\tfail\t%s\n' "$id" "$OUT/fail-$n.json" >> "$OUT/slow.tsv"
done < "$OUT/slow-plan.tsv"
echo "== $n slow cases against the sink (port $mx_port) and under their faults"
for p in "${pids[@]}"; do wait "$p" || true; done
for s in "${stops[@]}"; do
  # shellcheck disable=SC2086
  srv_stop_sink $s
done
grep -l -E "(Address|Leak|UndefinedBehavior)Sanitizer|runtime error:" "$OUT"/*.log 2>/dev/null &&
  srv_fail "smtpsuite run logged a sanitizer report (see the files above)"
[ -z "$SRV_BAD" ] || srv_fail "a sink ended badly (see above)"
$LIB judge-slow "$ROOT" "$OUT"
echo "PASS: library_slow"
