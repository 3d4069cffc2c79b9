#!/bin/sh
# Runs every fuzz target of build/fuzz for SECONDS each (default 30) from
# its checked-in corpus; a crash fails. Findings land in build/fuzz/findings.
# Usage: tests/fuzz/run.sh [SECONDS]
set -eu
cd "$(dirname "$0")/../.."
secs=${1:-30}
status=0
for bin in build/fuzz/tests/fuzz/fuzz_*; do
  name=${bin##*/fuzz_}
  corpus=tests/fuzz/corpus/$name
  work=build/fuzz/corpus-work/$name
  findings=build/fuzz/findings/$name
  mkdir -p "$work" "$findings"
  dict=
  [ -f "tests/fuzz/$name.dict" ] && dict="-dict=tests/fuzz/$name.dict"
  echo "-- fuzz_$name: ${secs}s"
  # shellcheck disable=SC2086
  if ! "$bin" -max_total_time="$secs" -print_final_stats=1 \
       -artifact_prefix="$findings/" $dict "$work" "$corpus" \
       >"build/fuzz/fuzz_$name.log" 2>&1; then
    echo "   CRASH: see build/fuzz/fuzz_$name.log and $findings/"
    tail -30 "build/fuzz/fuzz_$name.log"
    status=1
  else
    grep -E 'stat::number_of_executed_units|cov:' "build/fuzz/fuzz_$name.log" | tail -2 | sed 's/^/   /'
  fi
done
exit $status
