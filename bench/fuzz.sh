#!/bin/sh
# Deep fuzzing figures (docs/hardening.md). Two parts:
#   1. every libFuzzer target of build/fuzz runs DURATION seconds (default
#      300) from its checked-in corpus and dictionary, and the line says
#      its executions per second and libFuzzer's final coverage: cov
#      (code edges reached) and ft (features: edges with hit counts);
#   2. the same targets built with their planted canary bugs
#      (build/canary) run from the corpus until the canary is found,
#      each within CANARY_LIMIT seconds (default 60): the time it took is
#      printed, and a canary not found fails (exit 1).
# A crash in part 1 is a finding: the input lands in build/fuzz/findings
# and the script exits 1.
# Usage: bench/fuzz.sh   (DURATION=300 CANARY_LIMIT=60 TARGETS="reply json")
# Builds both flavours first (scripts/build fuzz, scripts/build canary).
set -u
cd "$(dirname "$0")/.." || exit 2
DURATION=${DURATION:-300}
CANARY_LIMIT=${CANARY_LIMIT:-60}
scripts/build fuzz >/dev/null
scripts/build canary >/dev/null
TARGETS=${TARGETS:-$(ls build/fuzz/tests/fuzz/ | sed -n 's/^fuzz_//p')}
out=build/fuzz/bench
rm -rf "$out"
mkdir -p "$out"
status=0

# run BIN NAME SECONDS WORKDIR LOG: one libFuzzer run from the corpus.
run() {
  dict=
  [ -f "tests/fuzz/$2.dict" ] && dict="-dict=tests/fuzz/$2.dict"
  mkdir -p "$4" "$out/findings-$2"
  # shellcheck disable=SC2086
  "$1" -max_total_time="$3" -print_final_stats=1 \
    -artifact_prefix="$out/findings-$2/" $dict "$4" "tests/fuzz/corpus/$2" \
    >"$5" 2>&1
}

echo "# fuzz: $DURATION s a target (build/fuzz), $(nproc) cores, $(clang --version | head -1)"
printf '%-12s %10s %10s %8s %8s %8s\n' target runs exec/s cov ft corpus
for t in $TARGETS; do
  log=$out/$t.log
  if ! run "build/fuzz/tests/fuzz/fuzz_$t" "$t" "$DURATION" "$out/work-$t" "$log"; then
    echo "$t: CRASH (see $log and $out/findings-$t/)"
    status=1
    continue
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1)
  cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
  ft=$(echo "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
  corp=$(echo "$last" | sed -n 's/.*corp: \([0-9]*\).*/\1/p')
  printf '%-12s %10s %10s %8s %8s %8s\n' "$t" "$runs" \
    "$((runs / DURATION))" "$cov" "$ft" "$corp"
done

echo "# canaries: each must be found within $CANARY_LIMIT s (build/canary)"
for t in $TARGETS; do
  log=$out/canary-$t.log
  start=$(date +%s.%N)
  # The canary aborts: libFuzzer exits non-zero with "deadly signal".
  if run "build/canary/tests/fuzz/fuzz_$t" "$t" "$CANARY_LIMIT" \
    "$out/canary-work-$t" "$log"; then
    echo "$t: canary NOT found within $CANARY_LIMIT s"
    status=1
  elif grep -q 'deadly signal' "$log"; then
    end=$(date +%s.%N)
    runs=$(grep -E '^#[0-9]+' "$log" | tail -1 | sed 's/^#\([0-9]*\).*/\1/')
    printf '%-12s canary found in %5.1f s (after about %s runs)\n' "$t" \
      "$(awk "BEGIN { print $end - $start }")" "${runs:-?}"
  else
    echo "$t: the canary run failed otherwise (see $log)"
    status=1
  fi
done
exit $status
