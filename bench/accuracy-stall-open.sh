#!/bin/bash
# Accuracy proof 3: an open run whose in-flight cap (50) fills during a
# 1 s stall of the server (smtpsuite's sink, SIGSTOP then SIGCONT), so
# arrivals wait in the queue. Their wait counts in the figure from the
# intended start: its p99 must reach at least 400 ms, while the figure
# from the actual send stays near the baseline (the same run without the
# stall): at most twice its p99.
# The rate is half the maximum a closed run of 50 sessions achieves.
# Usage: bench/accuracy-stall-open.sh [BUILD_DIR]   (DURATION=20 AT=10 STALL_MS=1000)
set -u
. "$(dirname "$0")/lib.sh"
bench_init "${1:-}"
DURATION=${DURATION:-20} AT=${AT:-10} STALL_MS=${STALL_MS:-1000}
SC=cases/load/helo-messages.smtp

run() { # NAME [stall]
  local name=$1
  bench_sink
  [ $# -gt 1 ] && bench_stall "$SINK_PID" "$AT" "$STALL_MS"
  "$SMTPSUITE" load -q --target "127.0.0.1:$SINK_PORT" --var sender=s@client.test \
    --var rcpt=r@sink.test --rate "$RATE" --max-inflight 50 --queue 1000000 \
    --duration "${DURATION}s" --json "$LT_DIR/$name.json" "$SC" >"$LT_DIR/$name.out" 2>&1 ||
    lt_fail "$name: $(tail -5 "$LT_DIR/$name.out")"
  bench_sink_stop
}

bench_sink
max=$(bench_max_rate "$SINK_PORT" "$SC" 10)
bench_sink_stop
RATE=$($LT_PY -c "print(round($max * 0.5, 1))")
echo "# maximum rate with 50 sessions: $max sessions/s; these runs: $RATE (50%)"
run baseline
run stall stall
for name in baseline stall; do
  echo
  echo "## Open model, $RATE sessions/s, cap 50, ${DURATION} s: $name"
  echo
  bench_table "$LT_DIR/$name.json"
  echo
  grep -E '^  (sessions|            |rate|loop lag)' "$LT_DIR/$name.out"
done
set -- $(bench_hist "$LT_DIR/baseline.json" session sent)
base=$2
set -- $(bench_hist "$LT_DIR/stall.json" session sent)
sent=$2
set -- $(bench_hist "$LT_DIR/stall.json" session intended)
intended=$2
echo
$LT_PY - "$base" "$sent" "$intended" <<'PY'
import sys
base, sent, intended = map(int, sys.argv[1:])
print("session p99 from the intended start: %.1f ms; at least 400 ms: %s"
      % (intended / 1e3, "met" if intended >= 400000 else "NOT met"))
print("session p99 from the actual send: %.2f ms, baseline %.2f ms; at most twice the baseline: %s"
      % (sent / 1e3, base / 1e3, "met" if sent <= 2 * base else "NOT met"))
PY
