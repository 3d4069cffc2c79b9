#!/bin/bash
# End-to-end: the exit codes of smtpsuite load (DESIGN.md "Exit codes"):
# 2 for a threshold naming an unknown metric or step, before anything
# connects; 99 for a breach; 3 when nothing could be measured (nothing
# listening, or a threshold the run has no figure for); 0 otherwise.
# Usage: tests/e2e/load_exit.sh PATH/TO/smtpsuite
set -u
. "$(dirname "$0")/load_lib.sh"
lt_init "${1:?usage: load_exit.sh PATH/TO/smtpsuite}"
cd "$(dirname "$0")/../.." || exit 1
lt_sink
fix=(--var sender=s@client.test --var rcpt=r@sink.test)
target=(--target "127.0.0.1:$SINK_PORT" "${fix[@]}")
helo=cases/load/helo-messages.smtp

# run WANT_CODE NAME ARGS...: runs a load, checks its exit code.
run() {
  local want=$1 name=$2
  shift 2
  "$SMTPSUITE" load -q "$@" >"$LT_DIR/out" 2>"$LT_DIR/err"
  local rc=$?
  if [ "$rc" != "$want" ]; then
    cat "$LT_DIR/out" "$LT_DIR/err"
    lt_fail "$name: exit $rc, want $want"
  fi
  echo "ok   $name: exit $rc"
}

echo "== 2: an unknown metric or step, before anything connects"
before=$(lt_sink_counts)
run 2 "unknown metric" "${target[@]}" -c 2 -n 4 --threshold 'latency(eod) < 1s' $helo
grep -q "threshold 'latency(eod) < 1s': column 1: unknown metric 'latency'" "$LT_DIR/err" ||
  lt_fail "the message: $(cat "$LT_DIR/err")"
run 2 "unknown step" "${target[@]}" -c 2 -n 4 --threshold 'p99(eodd) < 1s' $helo
grep -q "unknown step 'eodd' (known: connect, banner, helo, rset, mail, rcpt, data_cmd, eod, session)" "$LT_DIR/err" ||
  lt_fail "the message: $(cat "$LT_DIR/err")"
run 2 "a step this scenario does not have" "${target[@]}" -c 2 -n 4 --threshold 'p99(tls) < 1s' $helo
run 2 "a duration without a unit" "${target[@]}" -c 2 -n 4 --threshold 'p99(eod) < 250' $helo
run 2 "no model" "${target[@]}" -n 4 $helo
run 2 "two models" "${target[@]}" -c 2 --rate 5 -n 4 $helo
run 2 "no end" "${target[@]}" -c 2 $helo
run 2 "messages a scenario does not take" "${target[@]}" -c 2 -n 2 -m 3 cases/core/noop-ok.smtp
run 2 "a bad size" "${target[@]}" -c 2 -n 2 --size 1.5KiB $helo
run 2 "a bad sender pattern" "${target[@]}" -c 2 -n 2 --sender 'u{x}@a' $helo
# too few open files, and no way to raise them: said before connecting
( ulimit -Sn 256 && ulimit -Hn 256 &&
  "$SMTPSUITE" load -q "${target[@]}" -c 1000 -n 1000 $helo ) >"$LT_DIR/out" 2>"$LT_DIR/err"
lt_expect "too few open files" "$?" 2
grep -q "1000 sessions at once need about 1064 open files, but the limit is 256 (hard 256)" "$LT_DIR/err" ||
  lt_fail "the message: $(cat "$LT_DIR/err")"
sleep 0.3
lt_expect "nothing connected" "$(lt_sink_counts)" "$before"

echo "== 99: a breach"
run 99 "p99(eod) < 1us" "${target[@]}" -c 2 -n 20 --threshold 'p99(eod) < 1us' \
  --threshold 'errors == 0' --json "$LT_DIR/breach.json" $helo
lt_expect "breach recorded" \
  "$(lt_json "$LT_DIR/breach.json" '(p["threshold.0.status"], p["threshold.1.status"])')" \
  "('breach', 'pass')"
run 99 "lost > 0 breaches" "${target[@]}" --rate 50 -n 10 --threshold 'lost > 0' $helo

echo "== 0: thresholds that hold"
run 0 "p99(eod) < 30s, rate >= 95%" "${target[@]}" -c 2 -n 20 \
  --threshold 'p99(eod) < 30s' --threshold 'rate >= 95%' --threshold 'lost == 0' $helo
run 0 "no threshold, sessions succeeded" "${target[@]}" -c 2 -n 5 $helo

echo "== 3: nothing measured"
port=$(lt_free_port)
run 3 "nothing listening" --target "127.0.0.1:$port" "${fix[@]}" -c 2 -n 4 \
  --json "$LT_DIR/none.json" $helo
lt_expect "connect errors" "$(lt_json "$LT_DIR/none.json" 'c["errors.connect.failed"]')" 4
run 3 "nothing listening, with a threshold that holds" --target "127.0.0.1:$port" \
  "${fix[@]}" -c 2 -n 4 --threshold 'lost == 0' $helo
run 3 "a threshold the run has no figure for" "${target[@]}" -c 2 -n 4 \
  --threshold 'p99(rset) < 1s' --json "$LT_DIR/unmeasured.json" $helo
lt_expect "unmeasured recorded" \
  "$(lt_json "$LT_DIR/unmeasured.json" 'p["threshold.0.status"]')" unmeasured
run 99 "a breach outranks not measured" "${target[@]}" -c 2 -n 4 \
  --threshold 'p99(rset) < 1s' --threshold 'max(eod) < 1us' $helo
echo "PASS"
