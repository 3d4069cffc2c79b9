#!/bin/bash
# The mutation proof of the case library (tests/mutation/faults.tsv):
# every case FAILs at its key assertion against the sink with the fault
# its row names, every case has a row, and no fault makes more than 5%
# of the library fail. Each fault gets a sink of its own, and the whole
# library (but the slow cases: tests/e2e/library_slow.sh) runs against
# it, so a fault that breaks more than its cases shows.
# Usage: library_mutation.sh SMTPSUITE_BINARY
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=tests/servers/lib.sh
. "$HERE/../servers/lib.sh"
srv_init "$1"
# The submission-tls combination's user (library.py plan writes the users file).
export SINK_PASS=library-pass-$$ SINK_TOKEN=library-token-$$
LIB="$SRV_PY $HERE/library.py"
OUT=$SRV_DIR/mutation
# Faults at once: fewer in a sanitizer build, whose sinks are slower.
BATCH=16
ldd "$SMTPSUITE" 2>/dev/null | grep -q libasan && BATCH=4
BATCH=${LIBRARY_BATCH:-$BATCH}
$LIB plan "$SMTPSUITE" "$ROOT" "$OUT"

# run_library TARGET PORT JSON JOBS [IDS]: the library (no slow cases)
# against a sink; with IDS (comma-separated) only those cases.
run_library() {
  local sel=(--tags 'not slow and not load and not delivery') id
  if [ -n "${5:-}" ]; then
    sel=()
    for id in ${5//,/ }; do sel+=(--id "$id"); done
  fi
  "$SMTPSUITE" run --cases-dir "$ROOT/cases" "$ROOT/cases" "${sel[@]}" \
    --allow-intrusive -j "$4" -q --no-color --target-file "$ROOT/cases/targets/$1" \
    --target "127.0.0.1:$2" --json "$3" > "$3.log" 2>&1 || true
  [ -s "$3" ] || { cat "$3.log"; srv_fail "no result file $3"; }
}

# runs LINES...: each line "NAME<TAB>COMBO<TAB>FAULTFILE<TAB>JOBS[<TAB>IDS]": a sink per
# line with the combo's options and the fault file, the library against
# each, all at once; then the sinks are stopped (a sink that crashed or
# logged a sanitizer report fails the test).
runs() {
  local line name combo ff jobs ids target args pids=() stops=()
  for line in "$@"; do
    IFS=$'\t' read -r name combo ff jobs ids <<< "$line"
    IFS=$'\t' read -r _ target args _ < <(grep -P "^$combo\t" "$OUT/combos.tsv")
    # shellcheck disable=SC2086 # the options are words
    srv_sink --quiet $args --fault-file "$ff" > /dev/null
    stops+=("$SINK_PID $SINK_DIR")
    run_library "$target" "$SINK_PORT" "$OUT/$name.json" "$jobs" "$ids" &
    pids+=($!)
  done
  wait "${pids[@]}"
  for line in "${stops[@]}"; do
    # shellcheck disable=SC2086
    srv_stop_sink $line
  done
}

# Each configuration once without a fault: what a fault changes is
# measured against it.
mapfile -t base < <(awk -F'\t' '{print "base-" $1 "\t" $1 "\t" $4 "\t200"}' "$OUT/combos.tsv")
runs "${base[@]}"
mapfile -t plan < <(cut -f1-4 "$OUT/plan.tsv")
echo "== ${#plan[@]} faults, $BATCH at a time"
for ((i = 0; i < ${#plan[@]}; i += BATCH)); do
  runs "${plan[@]:i:BATCH}"
done
# A loaded machine (two cores, a sanitizer build) makes cases time out
# that no fault broke: a fault with a finding is looked at again, its
# cases a few at a time, before the verdict.
$LIB judge-mutants "$ROOT" "$OUT" --recheck
mapfile -t again < "$OUT/recheck.tsv"
for line in "${again[@]}"; do
  IFS=$'\t' read -r name combo ff jobs ids <<< "$line"
  runs "$name"$'\t'"$combo"$'\t'"$ff"$'\t'"$([ "$jobs" = 1 ] && echo 1 || echo 4)"$'\t'"$ids"
done
grep -l -E "(Address|Leak|UndefinedBehavior)Sanitizer|runtime error:" "$OUT"/*.log 2>/dev/null &&
  srv_fail "smtpsuite run logged a sanitizer report (see the files above)"
[ -z "$SRV_BAD" ] || srv_fail "a sink ended badly under a fault (see above)"
$LIB judge-mutants "$ROOT" "$OUT"
echo "PASS: library_mutation"
