#!/bin/bash
# Benchmark: smtpsuite load against Postfix's smtp-source, side by side,
# both on the same smtp-sink, with the same concurrency (50), count
# (10,000 messages), message octets (smtp-source -l 1024: 1 KiB of
# payload; smtpsuite --size gets the octets smtp-source's message has on
# the wire, measured here from a dump) and dialogue (HELO, MAIL, RCPT,
# DATA, QUIT; no RSET, no pipelining): a connection per message, then
# persistent sessions (smtp-source -d; smtpsuite -m). smtpsuite runs
# with --threads 1 and with its default (one thread a core).
#
# PAIRS alternating rounds (the order flips each round, to spread the
# machine's noise); the medians, with min and max. The headline is the
# client's CPU per message (user + system, from /usr/bin/time, start-up
# included for both), with throughput and the sink's CPU beside it. The
# sink's own counters (sessions, QUITs, messages) are checked equal for
# every run of every tool.
#
# Usage: bench/vs-smtp-source.sh [BUILD_DIR]   (PAIRS=5 COUNT=10000 CONC=50)
set -u
. "$(dirname "$0")/lib.sh"
bench_init "${1:-}"
PAIRS=${PAIRS:-5} COUNT=${COUNT:-10000} CONC=${CONC:-50}
command -v smtp-source >/dev/null || lt_fail "smtp-source is not installed (postfix)"

# The octets of smtp-source's message on the wire (CRLF lines, before
# the terminator), from a dump of one message.
msg_octets() {
  local dump=$LT_DIR/dump
  mkdir -p "$dump" && chmod 777 "$dump"
  local port user=()
  [ "$(id -u)" = 0 ] && user=(-u nobody)
  port=$(lt_free_port)
  smtp-sink "${user[@]}" -D "$dump/m" "127.0.0.1:$port" 10 &
  local pid=$!
  sleep 0.3
  smtp-source -s 1 -m 1 -l 1024 -M client.test -f s@client.test -t r@sink.test \
    "127.0.0.1:$port" >/dev/null
  sleep 0.3
  kill "$pid"
  wait "$pid" 2>/dev/null
  $LT_PY -c 'import sys
lines = open(sys.argv[1]).read().split("\n")
i = [k for k, l in enumerate(lines) if l.startswith("From:")][0]
m = lines[i:]
while m and m[-1] == "": m.pop()
print(sum(len(l) + 2 for l in m))' "$dump/m"
}
SIZE=$(msg_octets)
echo "# message: smtp-source -l 1024 sends $SIZE octets; smtpsuite --size $SIZE"
lt_sink
TARGET=127.0.0.1:$SINK_PORT

# one TOOL MODE: runs once; appends "msgs elapsed cpu sinkcpu" to
# $LT_DIR/TOOL.MODE and checks the sink's counts.
one() {
  local tool=$1 mode=$2 cmd=() want
  local sessions=$COUNT per=1
  if [ "$mode" = persistent ]; then
    sessions=$CONC
    per=$((COUNT / CONC))
  fi
  case $tool in
    smtp-source)
      cmd=(smtp-source -s "$CONC" -m "$COUNT" -l 1024 -M client.test
        -f s@client.test -t r@sink.test)
      [ "$mode" = persistent ] && cmd+=(-d)
      cmd+=("$TARGET") ;;
    smtpsuite-t1|smtpsuite)
      cmd=("$SMTPSUITE" load -q --target "$TARGET" --var sender=s@client.test
        --var rcpt=r@sink.test --concurrency "$CONC" --sessions "$sessions"
        -m "$per" --size "$SIZE" cases/load/helo-messages.smtp)
      [ "$tool" = smtpsuite-t1 ] && cmd+=(--threads 1) ;;
  esac
  want="$sessions $sessions $COUNT"
  local before sink0 sink1
  before=$(lt_sink_counts)
  sink0=$(bench_proc_cpu "$LT_SINK_PID")
  bench_time "$LT_DIR/time" "${cmd[@]}" >"$LT_DIR/out" 2>&1 ||
    lt_fail "$tool $mode failed: $(tail -5 "$LT_DIR/out")"
  lt_sink_wait "$(( ${before%% *} + sessions ))"
  sink1=$(bench_proc_cpu "$LT_SINK_PID")
  local got
  got=$($LT_PY -c 'import sys; a = sys.argv[1].split(); b = sys.argv[2].split()
print(" ".join(str(int(y) - int(x)) for x, y in zip(a, b)))' "$before" "$(lt_sink_counts)")
  [ "$got" = "$want" ] || lt_fail "$tool $mode: the sink counted '$got' (sessions quits messages), want '$want'"
  read -r el us sy <"$LT_DIR/time"
  echo "$COUNT $el $($LT_PY -c "print($us + $sy)") $($LT_PY -c "print(($sink1 - $sink0) / $CLK_TCK)")" \
    >>"$LT_DIR/$tool.$mode"
}

report() {
  local mode=$1
  echo
  echo "## $mode ($COUNT messages, $CONC at once, $PAIRS rounds; median (min to max))"
  echo
  echo "| client | client CPU per message (us) | messages/s | sink CPU (share of a core) |"
  echo "|---|---|---|---|"
  local t
  for t in smtp-source smtpsuite-t1 smtpsuite; do
    local f=$LT_DIR/$t.$mode
    echo "| $t | $(bench_stats $(awk '{print $3 / $1 * 1e6}' "$f")) |" \
      "$(bench_stats $(awk '{print $1 / $2}' "$f")) |" \
      "$(bench_stats $(awk '{print $4 / $2}' "$f")) |"
  done
  local ratio
  ratio=$(paste "$LT_DIR/smtpsuite-t1.$mode" "$LT_DIR/smtp-source.$mode" |
    awk '{print ($3 / $1) / ($7 / $5)}')
  local med
  med=$(bench_median $ratio)
  echo
  echo "smtpsuite --threads 1 / smtp-source, CPU per message, per round: $(bench_stats $ratio)"
  echo "target (at most smtp-source's): $($LT_PY -c "print('met' if $med <= 1.0 else 'NOT met')") (median ratio $med)"
}

for mode in per-connection persistent; do
  for i in $(seq "$PAIRS"); do
    if [ $((i % 2)) = 1 ]; then
      order="smtp-source smtpsuite-t1 smtpsuite"
    else
      order="smtpsuite smtpsuite-t1 smtp-source"
    fi
    for t in $order; do
      one "$t" "$mode"
    done
    echo "# $mode round $i done" >&2
  done
done
echo
echo "sink counts (sessions, QUITs, messages) checked equal for every run: yes"
report per-connection
report persistent
