#!/bin/bash
# Delivery checks across processes: Postfix from the rig relays to a
# standalone `smtpsuite sink --record`; the load runs as two shards,
# each writing its submission log (--deliver-log); `smtpsuite merge`
# joins the logs with the sink's arrival log.
#  1. every accepted message arrived, none lost, each changed only by
#     Postfix's trace header; the 'delivery' histogram holds one value a
#     message; the next hop's fault (store message 3, hang up before the
#     250) makes Postfix deliver it again: exactly that duplicate;
#  2. the arrival log without message 5's record: exactly message 5 is
#     lost, 'lost == 0' is breached (exit 99);
#  3. bad input: a malformed line (exit 2, FILE:LINE named), a submission
#     log of another run and a shard's log missing (exit 3);
#  4. `run --deliver-log` against a sink that is its own next hop: merge
#     joins the single run result (every message intact; without one
#     arrival record that message is lost and the exit is 1).
# Usage: deliver_join.sh SMTPSUITE_BINARY
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
CASES=$(cd "$HERE/../../cases" && pwd)
# shellcheck source=tests/servers/lib.sh
. "$HERE/../servers/lib.sh"
srv_init "$1"

# check JSON EXPR: srv_delivery_check (tests/servers/lib.sh)
check() { srv_delivery_check "$@"; }

# expect_rc WANT PATTERN COMMAND...: the exit code and a line of stderr.
expect_rc() {
  local want=$1 pat=$2 rc=0
  shift 2
  "$@" > "$SRV_DIR/out" 2> "$SRV_DIR/err" || rc=$?
  [ "$rc" = "$want" ] || { cat "$SRV_DIR/err"; srv_fail "$* exited $rc, want $want"; }
  grep -q -- "$pat" "$SRV_DIR/err" || { cat "$SRV_DIR/err"; srv_fail "no '$pat' on stderr"; }
  echo "ok   exit $want: $(head -1 "$SRV_DIR/err")"
}

D=$SRV_DIR
srv_sink --record "$D/arrivals.jsonl" \
  --fault 'EOD~X-Smtpsuite-Id: join-e2e\.s1\.1\.[0-9]+\.3\. -> accept; close-before; once'
srv_postfix_relay "$SINK_PORT"

echo "== 1: two shards through Postfix to a standalone sink, joined by merge"
pids=()
for i in 0 1; do
  "$SMTPSUITE" load --cases-dir "$CASES" --target "127.0.0.1:$POSTFIX_PORT" \
    --shard "$i/2" --run-id join-e2e --threads 1 --quiet \
    --rate 10 --duration 3s --sender 'a{n}@x.test' --rcpt 'u{n}@sink.test' \
    --size 3KiB --json "$D/r-{shard}.json" \
    --deliver-log "$D/sub-{shard}.jsonl" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || srv_fail "a shard exited $?"; done
n=$(cat "$D"/sub-*.jsonl | grep -c '"token"')
[ "$n" = 30 ] || srv_fail "the submission logs hold $n messages, want 30"
echo "ok   the submission logs hold 30 accepted messages"
# 30 messages and message 3 once more (Postfix retries the hang-up)
srv_wait_lines "$D/arrivals.jsonl" 31 60 ||
  { tail -20 "$POSTFIX_DIR/maillog"; srv_fail "the sink logged $(wc -l < "$D/arrivals.jsonl") arrivals, want 31"; }
sleep 1 # nothing more should come
rc=0
"$SMTPSUITE" merge "$D/r-0.json" "$D/r-1.json" \
  --deliver-log "$D/sub-*.jsonl" --arrivals "$D/arrivals.jsonl" \
  --threshold 'lost == 0' --threshold 'p99(delivery) < 20s' \
  --threshold 'corrupt == 0' --json "$D/m.json" > "$D/merge.out" || rc=$?
cat "$D/merge.out" | sed -n '/delivery to/,$p'
[ "$rc" = 0 ] || srv_fail "merge exited $rc, want 0"
check "$D/m.json" 'c["delivery.submitted"] == 30 and c["delivery.arrived"] == 30 and c["delivery.lost"] == 0'
check "$D/m.json" 'c["delivery.class.trace-only"] == 30 and c["delivery.corrupt"] == 0 and c["delivery.late"] == 0'
check "$D/m.json" 'c["delivery.foreign"] == 0 and c["delivery.unexpected"] == 0'
check "$D/m.json" 'c["delivery.duplicated"] == 1 and p["delivery.duplicated_tokens"].startswith("join-e2e.s") and ".3.load.prologue.messages" in p["delivery.duplicated_tokens"]'
check "$D/m.json" 'len(h) == 2 and all(x["total"] == c["delivery.arrived"] for x in h)'
check "$D/m.json" '"delivery" in p["load.steps"].split(",") and p["delivery.to"].endswith("arrivals.jsonl")'
grep -q '30 accepted, 30 arrived, 0 lost, 0 late (over 10s), 1 duplicated, 0 corrupt' "$D/merge.out" ||
  srv_fail "the summary's delivery line is not the in-process one"
echo "ok   the summary says 30 accepted, 30 arrived, 0 lost, 1 duplicated"

echo "== 2: message 5 not in the arrival log: exactly it is lost"
grep -v '"u5@sink.test"' "$D/arrivals.jsonl" > "$D/arrivals-5.jsonl"
rc=0
"$SMTPSUITE" merge "$D/r-0.json" "$D/r-1.json" \
  --deliver-log "$D/sub-{shard}.jsonl" \
  --arrivals "$D/arrivals-5.jsonl" --threshold 'lost == 0' \
  --json "$D/m5.json" > "$D/merge5.out" || rc=$?
[ "$rc" = 99 ] || srv_fail "merge exited $rc, want 99 (lost == 0 breached)"
check "$D/m5.json" 'c["delivery.lost"] == 1 and c["delivery.arrived"] == 29 and c["delivery.submitted"] == 30'
check "$D/m5.json" 'p["delivery.lost_tokens"].endswith(".5.5.load.prologue.messages") and len(p["delivery.lost_tokens"].split()) == 1'
check "$D/m5.json" 'all(x["total"] == 29 for x in h)'

echo "== 3: bad input"
cp "$D/sub-1.jsonl" "$D/bad.jsonl"
echo '{"token": "join-e2e.s1' >> "$D/bad.jsonl"
line=$(wc -l < "$D/bad.jsonl")
expect_rc 2 "bad.jsonl:$line: not JSON" "$SMTPSUITE" merge "$D/r-0.json" "$D/r-1.json" \
  --deliver-log "$D/sub-0.jsonl" --deliver-log "$D/bad.jsonl" --arrivals "$D/arrivals.jsonl"
sed 's/"run_id":"join-e2e"/"run_id":"other"/' "$D/sub-1.jsonl" > "$D/other.jsonl"
expect_rc 3 "other.jsonl: a submission log of run 'other', not of the results' run 'join-e2e'" \
  "$SMTPSUITE" merge "$D/r-0.json" "$D/r-1.json" \
  --deliver-log "$D/sub-0.jsonl" --deliver-log "$D/other.jsonl" --arrivals "$D/arrivals.jsonl"
expect_rc 3 "no submission log of shard 1 of 2" "$SMTPSUITE" merge "$D/r-0.json" "$D/r-1.json" \
  --deliver-log "$D/sub-0.jsonl" --arrivals "$D/arrivals.jsonl"
expect_rc 2 "nothing-\*.jsonl': no file matches" "$SMTPSUITE" merge "$D/r-0.json" "$D/r-1.json" \
  --deliver-log "$D/sub-*.jsonl" --arrivals "$D/nothing-*.jsonl"
# a glob that matches nothing after a value that matched: the paths
# already expanded are freed once (this crashed with SIGSEGV)
expect_rc 2 "none-\*.jsonl': no file matches" "$SMTPSUITE" merge "$D/r-0.json" "$D/r-1.json" \
  --deliver-log "$D/sub-0.jsonl" --deliver-log "$D/none-*.jsonl" --arrivals "$D/arrivals.jsonl"
expect_rc 2 "go together" "$SMTPSUITE" merge "$D/r-0.json" "$D/r-1.json" \
  --deliver-log "$D/sub-*.jsonl"

echo "== 4: run --deliver-log, the sink its own next hop, joined by merge"
srv_sink --record "$D/run-arrivals.jsonl"
"$SMTPSUITE" run -q --cases-dir "$CASES" -T "$CASES/targets/sink.target" \
  --target "127.0.0.1:$SINK_PORT" --deliver-log "$D/run-sub.jsonl" \
  --json "$D/run.json" "$CASES/suites/smoke.suite" > /dev/null ||
  srv_fail "run exited $?, want 0"
n=$(grep -c '"token"' "$D/run-sub.jsonl")
[ "$n" -ge 1 ] || srv_fail "the run's submission log holds no message"
srv_wait_lines "$D/run-arrivals.jsonl" "$n" 10 || srv_fail "the sink logged fewer than $n arrivals"
rc=0
"$SMTPSUITE" merge "$D/run.json" --deliver-log "$D/run-sub.jsonl" \
  --arrivals "$D/run-arrivals.jsonl" --json "$D/run-m.json" > /dev/null || rc=$?
[ "$rc" = 0 ] || srv_fail "merge of the run result exited $rc, want 0"
check "$D/run-m.json" "c['delivery.submitted'] == $n and c['delivery.arrived'] == $n and c['delivery.class.intact'] == $n and c['delivery.lost'] == 0"
check "$D/run-m.json" "d['kind'] == 'run' and all(x['total'] == $n for x in h)"
tail -n +2 "$D/run-arrivals.jsonl" > "$D/run-arrivals-1.jsonl"
rc=0
"$SMTPSUITE" merge "$D/run.json" --deliver-log "$D/run-sub.jsonl" \
  --arrivals "$D/run-arrivals-1.jsonl" --json "$D/run-m1.json" > /dev/null || rc=$?
[ "$rc" = 1 ] || srv_fail "merge without one arrival exited $rc, want 1"
check "$D/run-m1.json" "c['delivery.lost'] == 1 and c['delivery.arrived'] == $n - 1"
echo PASS
