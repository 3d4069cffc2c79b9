#!/bin/bash
# Benchmark: smtpsuite with PIPELINING (RFC 2920: MAIL, RCPT and DATA in
# one write after EHLO; cases/load/pipeline-messages.smtp) beside the
# same count without it (cases/load/helo-messages.smtp), both on
# smtp-sink, 50 at once, 10,000 messages of smtp-source's size. Reported
# apart from bench/vs-smtp-source.sh: smtp-source does not pipeline.
# Usage: bench/pipelining.sh [BUILD_DIR]   (ROUNDS=5 COUNT=10000 CONC=50 SIZE=1157)
set -u
. "$(dirname "$0")/lib.sh"
bench_init "${1:-}"
ROUNDS=${ROUNDS:-5} COUNT=${COUNT:-10000} CONC=${CONC:-50} SIZE=${SIZE:-1157}
lt_sink

one() { # SCENARIO MODE THREADS
  local sc=$1 mode=$2 th=$3 sessions=$COUNT per=1
  if [ "$mode" = persistent ]; then
    sessions=$CONC
    per=$((COUNT / CONC))
  fi
  local before sink0 sink1
  before=$(lt_sink_counts)
  sink0=$(bench_proc_cpu "$LT_SINK_PID")
  bench_time "$LT_DIR/time" "$SMTPSUITE" load -q --target "127.0.0.1:$SINK_PORT" \
    --var sender=s@client.test --var rcpt=r@sink.test --concurrency "$CONC" \
    --sessions "$sessions" -m "$per" --size "$SIZE" --threads "$th" \
    "cases/load/$sc-messages.smtp" >"$LT_DIR/out" 2>&1 || lt_fail "$sc $mode: $(tail -3 "$LT_DIR/out")"
  lt_sink_wait "$(( ${before%% *} + sessions ))"
  sink1=$(bench_proc_cpu "$LT_SINK_PID")
  set -- $before
  local b3=$3
  set -- $(lt_sink_counts)
  [ "$(($3 - b3))" = "$COUNT" ] || lt_fail "$sc $mode: the sink counted $(($3 - b3)) messages"
  read -r el us sy <"$LT_DIR/time"
  echo "$COUNT $el $($LT_PY -c "print($us + $sy)") $($LT_PY -c "print(($sink1 - $sink0) / $CLK_TCK)")" \
    >>"$LT_DIR/$sc.$mode.$th"
}

for i in $(seq "$ROUNDS"); do
  for mode in per-connection persistent; do
    for th in 1 "$CORES"; do
      one helo "$mode" "$th"
      one pipeline "$mode" "$th"
    done
  done
  echo "# round $i done" >&2
done
for mode in per-connection persistent; do
  echo
  echo "## $mode ($COUNT messages, $CONC at once, $ROUNDS rounds; median (min to max))"
  echo
  echo "| dialogue | threads | client CPU per message (us) | messages/s | sink CPU (share of a core) |"
  echo "|---|---|---|---|---|"
  for sc in helo pipeline; do
    for th in 1 "$CORES"; do
      f=$LT_DIR/$sc.$mode.$th
      echo "| $sc | $th | $(bench_stats $(awk '{print $3 / $1 * 1e6}' "$f")) |" \
        "$(bench_stats $(awk '{print $1 / $2}' "$f")) | $(bench_stats $(awk '{print $4 / $2}' "$f")) |"
    done
  done
done
echo
echo "sink message counts checked equal to $COUNT for every run: yes"
